// Package storepg is the store.Store on PostgreSQL, shared by every Gantry
// process that points at one database (scheduler, API, workers).
//
// # Connections
//
// Open takes a postgres:// URL and keeps a pgxpool; statements are prepared
// and cached per connection by pgx. Apply sends a batch's statements in one
// round trip inside a transaction. pgxpool parameters (pool_max_conns, …) and
// run-time parameters such as search_path can be given in the URL.
//
// # Values
//
// IDs are bigserial, times timestamptz: they are truncated (not rounded) to
// the microsecond before they are written, as storesqlite does, and come
// back in UTC; the zero time is NULL. Params and Outputs are jsonb; nil and
// empty stay distinct, and Outputs keep their order. PostgreSQL rejects NUL
// bytes in text and jsonb, so such a value fails to store. Driver errors are
// mapped to store.ErrNotFound and store.ErrConflict in errors.go.
//
// # Server lock
//
// Lock takes the session-level advisory lock (hashtext('gantry-server'),
// hashtext(current_schema())) on a connection outside the pool, so that one
// server at a time uses a store; the lock lives as long as that connection,
// and ServerLock.Ping says whether it still does. The holder's
// application_name says who it is to the process Lock refuses.
//
// # Migrations
//
// The schema lives in migrations/NNNN_name.sql, embedded in the binary, and
// is created in the first schema of the search_path. Open applies the
// missing migrations in one transaction under pg_advisory_xact_lock, so
// several processes starting at once apply each exactly once.
package storepg
