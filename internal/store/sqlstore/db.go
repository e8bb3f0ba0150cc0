package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// maxCached bounds the statements and rebound queries DB keeps: the list
// queries are built from their filters, so their texts are many but few.
const maxCached = 512

// DB is a driver's database as this package uses it.
type DB struct {
	write, read *sql.DB
	d           Dialect

	mu     sync.RWMutex
	texts  map[string]string    // query as written -> as the dialect wants it
	wstmts map[string]*sql.Stmt // prepared on write, by query as written
	rstmts map[string]*sql.Stmt // prepared on read
	wanted map[string]bool      // run in a transaction before they were prepared
}

// NewDB returns a DB on write and read (which may be the same pool) speaking
// d. Closing the pools stays with the driver; Close closes the statements.
func NewDB(write, read *sql.DB, d Dialect) *DB {
	return &DB{write: write, read: read, d: d, texts: map[string]string{},
		wstmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// Dialect is the dialect db speaks.
func (db *DB) Dialect() Dialect { return db.d }

// Close closes the prepared statements.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	var first error
	for _, m := range []map[string]*sql.Stmt{db.wstmts, db.rstmts} {
		for q, st := range m {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
			delete(m, q)
		}
	}
	return first
}

// text is q with the dialect's placeholders.
func (db *DB) text(q string) string {
	if !db.d.NumberedPlaceholders() {
		return q
	}
	db.mu.RLock()
	t, ok := db.texts[q]
	db.mu.RUnlock()
	if ok {
		return t
	}
	t = Number(q)
	db.mu.Lock()
	if len(db.texts) < maxCached {
		db.texts[q] = t
	}
	db.mu.Unlock()
	return t
}

// Number rewrites the ? placeholders of q outside quoted text as $1, $2, ….
func Number(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// stmt is the statement for q prepared on pool, or nil when the dialect does
// not prepare or the cache is full.
func (db *DB) stmt(ctx context.Context, write bool, q string) (*sql.Stmt, error) {
	if !db.d.Prepare() {
		return nil, nil
	}
	m, pool := db.rstmts, db.read
	if write {
		m, pool = db.wstmts, db.write
	}
	db.mu.RLock()
	st, ok := m[q]
	full := len(m) >= maxCached
	db.mu.RUnlock()
	if ok || full {
		return st, nil
	}
	// Prepare without holding mu: on a pool of one connection (SQLite's
	// write pool) PrepareContext waits for a transaction in progress, which
	// takes mu for its own statements.
	st, err := pool.PrepareContext(ctx, db.text(q))
	if err != nil {
		return nil, db.d.MapErr(err)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if prev, ok := m[q]; ok || len(m) >= maxCached {
		_ = st.Close()
		return prev, nil
	}
	m[q] = st
	return st, nil
}

// Querier is what a read runs on: the read pool (a *DB) or a write
// transaction (a *Tx), for a helper that serves both.
type Querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	Row(ctx context.Context, q string, args ...any) Scanner
}

// Query runs q, written with ? placeholders, on the read pool.
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := db.stmt(ctx, false, q)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = db.read.QueryContext(ctx, db.text(q), args...)
	}
	return rows, db.d.MapErr(err)
}

// Row runs q on the read pool and returns its row for scan to read.
func (db *DB) Row(ctx context.Context, q string, args ...any) Scanner {
	st, err := db.stmt(ctx, false, q)
	if err != nil {
		return errRow{err}
	}
	if st != nil {
		return mappedRow{st.QueryRowContext(ctx, args...), db.d}
	}
	return mappedRow{db.read.QueryRowContext(ctx, db.text(q), args...), db.d}
}

// Exec runs q in a transaction of its own on the write pool.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := db.stmt(ctx, true, q)
	if err != nil {
		return nil, err
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = db.write.ExecContext(ctx, db.text(q), args...)
	}
	return res, db.d.MapErr(err)
}

// Tx is a write transaction. Its methods take queries written with ?
// placeholders; their errors come back mapped.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	db  *DB
}

// SQL is the transaction itself, for a dialect's LockKey.
func (tx *Tx) SQL() *sql.Tx { return tx.tx }

// prepared is q's statement in the transaction, or nil to run q's text.
// A statement cannot be prepared on the write pool while the transaction
// holds its connection (SQLite's only one): a miss runs the text and asks
// for q to be prepared once the transaction has ended.
func (tx *Tx) prepared(q string) (*sql.Stmt, error) {
	db := tx.db
	if !db.d.Prepare() {
		return nil, nil
	}
	db.mu.RLock()
	st, ok := db.wstmts[q]
	db.mu.RUnlock()
	if ok {
		return tx.tx.StmtContext(tx.ctx, st), nil
	}
	db.mu.Lock()
	if len(db.wanted) < maxCached {
		db.wanted[q] = true
	}
	db.mu.Unlock()
	return nil, nil
}

// prepareWanted prepares, on the write pool, the statements transactions
// ran unprepared. A failure leaves them unprepared.
func (db *DB) prepareWanted(ctx context.Context) {
	db.mu.Lock()
	if len(db.wanted) == 0 {
		db.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(db.wanted))
	for q := range db.wanted {
		qs = append(qs, q)
		delete(db.wanted, q)
	}
	db.mu.Unlock()
	for _, q := range qs {
		_, _ = db.stmt(ctx, true, q)
	}
}

// Exec runs q in the transaction.
func (tx *Tx) Exec(q string, args ...any) (sql.Result, error) {
	st, err := tx.prepared(q)
	if err != nil {
		return nil, err
	}
	var res sql.Result
	if st != nil {
		res, err = st.ExecContext(tx.ctx, args...)
	} else {
		res, err = tx.tx.ExecContext(tx.ctx, tx.db.text(q), args...)
	}
	return res, tx.db.d.MapErr(err)
}

// ExecOne runs q, which must change exactly one row: none is
// store.ErrNotFound.
func (tx *Tx) ExecOne(q string, args ...any) error {
	return affectedOne(tx.Exec(q, args...))
}

// Query runs q in the transaction.
func (tx *Tx) Query(q string, args ...any) (*sql.Rows, error) {
	st, err := tx.prepared(q)
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(tx.ctx, args...)
	} else {
		rows, err = tx.tx.QueryContext(tx.ctx, tx.db.text(q), args...)
	}
	return rows, tx.db.d.MapErr(err)
}

// Row runs q in the transaction and returns its row.
func (tx *Tx) Row(q string, args ...any) Scanner {
	st, err := tx.prepared(q)
	if err != nil {
		return errRow{err}
	}
	if st != nil {
		return mappedRow{st.QueryRowContext(tx.ctx, args...), tx.db.d}
	}
	return mappedRow{tx.tx.QueryRowContext(tx.ctx, tx.db.text(q), args...), tx.db.d}
}

// Insert runs q, an INSERT … RETURNING id, and returns the id.
func (tx *Tx) Insert(q string, args ...any) (int64, error) {
	var id int64
	err := tx.Row(q, args...).Scan(&id)
	return id, err
}

// Lock takes the dialect's lock on key for the rest of the transaction.
func (tx *Tx) Lock(key string) error {
	return tx.db.d.MapErr(tx.db.d.LockKey(tx.ctx, tx.tx, key))
}

// WriteTx runs fn in a write transaction and commits it, or rolls it back
// when fn fails or panics. Errors come back mapped.
func (db *DB) WriteTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.d.MapErr(err)
	}
	done := false
	defer func() {
		if !done {
			_ = stx.Rollback()
		}
		db.prepareWanted(context.WithoutCancel(ctx))
	}()
	if err = fn(&Tx{ctx: ctx, tx: stx, db: db}); err != nil {
		return db.d.MapErr(err)
	}
	done = true
	return db.d.MapErr(stx.Commit())
}

// Scanner is a row: *sql.Row, *sql.Rows, or a row whose error is mapped.
type Scanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type mappedRow struct {
	row *sql.Row
	d   Dialect
}

func (r mappedRow) Scan(dest ...any) error { return r.d.MapErr(r.row.Scan(dest...)) }

// In a transaction, Querier's methods ignore ctx for the transaction's own.
type txQuerier struct{ tx *Tx }

func (q txQuerier) Query(_ context.Context, s string, args ...any) (*sql.Rows, error) {
	return q.tx.Query(s, args...)
}

func (q txQuerier) Row(_ context.Context, s string, args ...any) Scanner { return q.tx.Row(s, args...) }

// Querier is the transaction as a Querier.
func (tx *Tx) Querier() Querier { return txQuerier{tx} }
