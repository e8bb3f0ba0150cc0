// Package store declares the one interface through which Gantry persists
// everything, and the sentinel errors its drivers map their own errors to.
//
// Drivers live beside it: storesqlite (the embedded default) and storepg
// (PostgreSQL, shared by many processes). Every query is written once, in
// sqlstore; a driver supplies its dialect, opening and durability settings,
// its migrations and its server lock (and PostgreSQL its pipelined Apply
// and dispatcher reads, measured to matter). Both pass the shared suite in
// storetest.
//
// # Adding a table
//
// Two migrations (storesqlite/migrations and storepg/migrations), one Go
// file in sqlstore with its queries and scanners, and one case in
// storetest. The interface gains its methods here.
//
// # Leases and fencing
//
// LeaseStore holds named leases (the leader lease) with a fencing token
// that grows whenever a lease changes hands. A context made by WithFence
// makes the writes a process does because it leads (CreateRun, SaveAlert,
// SaveAlertGroup, PruneAlerts, PruneLogChunks) check, in their own
// transaction, that the lease is still the caller's with that token and
// has not expired; otherwise they return ErrFenced and commit nothing.
// Lease times are the calling processes' clocks (see LeaseStore). The
// same interface holds the workers registry and the log chunks workers
// ship (internal/logs).
//
// # Writes
//
// The engine persists every state change before acting on it. To keep that
// cheap, the changes caused by one event (an attempt finishing, the next
// attempts starting, the run's state moving on) travel together in a Batch
// and are committed in one transaction.
package store
