// Package storesqlite is the embedded store.Store: one SQLite file, no other
// service. It is the default for a single machine.
//
// # Connections
//
// SQLite allows one writer at a time. The store holds one write connection
// (every write goes through it, in order, as BEGIN IMMEDIATE transactions) and
// a separate pool of read-only connections. In WAL mode readers see the last
// committed state and never wait for the writer, so the API and the
// dashboard stay responsive while the engine writes.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL. A transaction is
// committed once its WAL frames are written to the operating system, so a
// commit survives the Gantry process being killed at any moment, which is the
// guarantee Gantry gives (design.md: a run or task once accepted is never
// lost). A power loss or kernel crash may lose the last few commits, though
// never corrupt the database. Where that matters, append ?synchronous=full to
// the path given to Open: every commit then waits for an fsync, which costs a
// disk flush per state change.
//
// # Values
//
// Times are stored as unix microseconds in UTC, so they come back truncated
// to the microsecond and in UTC, as from storepg; the zero time is stored as
// NULL and comes back zero. Params and Outputs are JSON; nil and empty stay
// distinct. Driver errors are mapped to store.ErrNotFound and
// store.ErrConflict in errors.go.
//
// # Server lock
//
// Lock takes flock(2) on the database file itself, so that one server at a
// time uses a store by whatever name (symlink, "..", hard link) it reaches
// the file. Release it only after the store's Close: see FileLock.
//
// # Migrations
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary.
// Open applies the missing ones, in order, in one transaction, and records
// each in schema_migrations; reopening applies nothing.
package storesqlite
