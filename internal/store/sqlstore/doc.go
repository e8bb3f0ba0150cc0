// Package sqlstore is the one SQL layer both store drivers share: every
// query of store.Store written once, its row scanners, a small filter
// builder for the list queries, the write-transaction helper and the
// multi-step flows (activating a deployment, saving an alert group).
//
// A driver opens its database, brings its schema up to date with its own
// embedded migrations, and hands this package a *DB: the write and read
// pools and a Dialect, which says what really differs between the two
// databases — placeholders, how a time is stored, how an error maps to the
// store's sentinels, how a transaction takes a lock on a key, and the few
// fragments one of them needs for its indexes. A driver keeps what is its
// own beside that: opening and durability settings, migrations, the server
// lock, and a hot-path write where it measurably pays: PostgreSQL's Apply
// sends the statements of this package's Plan its own way, pipelined, through
// ApplyWith.
//
// Queries are written with ? placeholders; DB rebinds them once per query
// text for a dialect that numbers its placeholders, and, where the dialect
// asks for it, prepares them once.
//
// # Adding a table
//
// Two migrations (one per driver, under each driver's migrations/), one Go
// file here with its queries and scanners, and one case in storetest, the
// suite both drivers run.
package sqlstore
