// Package app wires Gantry's parts together and holds no logic of its
// own. It is the only package that imports concrete store drivers
// (store/storesqlite, store/storepg), notifiers (alert/webhook, slack,
// pagerduty, email, alertmanager) and executor kinds; TestOnlyAppWires
// fails when another package does.
//
// # Entry points
//
// Serve(ctx, Config) is `gantry serve`: it holds the project's store
// exclusively, builds the executor of every task kind (Executors), and builds and starts the
// server's services, the deploy lifecycle with its gate (Gate), the alert
// manager with its notifiers (Notifiers), the metrics, the HTTP API and the
// UI; it returns when ctx ends, after a graceful stop. OpenLocal is what a
// command without a server uses: the project's settings and its store,
// held shared (gantry run) or exclusively (local deploy commands) or not
// at all (reads), with its log folder and secret resolver. The cli parses
// flags and calls one of the two; it never builds the parts itself.
//
// # Notifiers
//
// Notifiers builds every channel kind from gantry.yaml's channel config,
// after Alertmanager's config/receiver: the alert manager asks it for a
// notifier per channel and evaluation, and knows no kind itself. A new
// kind is a case there, its type in spec and its own package.
//
// # Project state
//
// app also knows where a project keeps its state under .gantry/: the
// embedded store (DefaultStore), task logs (LogDir), the admin token
// (AdminTokenFile), the store's identity (StoreIDFile), and how a store is
// held by one process or shared (ExclusiveStore, SharedStore).
package app
