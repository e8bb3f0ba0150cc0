// Package store declares the one interface through which Gantry persists
// everything, and the sentinel errors its drivers map their own errors to.
//
// Drivers live beside it: storesqlite (the embedded default) and storepg
// (PostgreSQL, shared by many processes). Both pass the shared suite in
// storetest.
//
// # Writes
//
// The engine persists every state change before acting on it. To keep that
// cheap, the changes caused by one event (an attempt finishing, the next
// attempts starting, the run's state moving on) travel together in a Batch
// and are committed in one transaction.
package store
