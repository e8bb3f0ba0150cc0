package storesqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// Apply commits every change in b in one transaction, or none of them, as
// sqlstore's Apply does (see there for its errors), on the write
// connection's own driver statements: each is prepared once for the
// connection's life, BEGIN IMMEDIATE and COMMIT among them, and only the
// BEGIN, the one statement that can wait for another process's lock,
// watches ctx. Through database/sql every statement of every commit would
// be re-bound to the transaction and watched by a goroutine of the
// driver's, which a chain of short tasks pays for at every task.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	return s.ApplyWith(ctx, b, s.commit)
}

func (s *Store) commit(ctx context.Context, p *sqlstore.Plan) error {
	if p.Replay != nil { // rare, and reads a row on a miss: the general way
		return s.Commit(ctx, p)
	}
	c, err := s.write.Conn(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer c.Close()
	return c.Raw(func(dc any) error { return s.stmts.apply(ctx, dc, p) })
}

// rawStmts are the driver statements prepared on the write connection.
// They are used only inside Raw on that connection, which database/sql
// lends to one caller at a time, and are dropped when it is replaced.
type rawStmts struct {
	conn  any
	stmts map[string]driver.Stmt
	args  []driver.NamedValue // scratch
}

func (r *rawStmts) apply(ctx context.Context, dc any, p *sqlstore.Plan) error {
	if r.conn != dc {
		r.conn, r.stmts = dc, map[string]driver.Stmt{}
	}
	if _, err := r.exec(ctx, dc, "BEGIN IMMEDIATE"); err != nil {
		return mapErr(err)
	}
	// Inside the transaction nothing waits for a lock: WAL's writer holds
	// it from BEGIN IMMEDIATE, and its COMMIT appends to the log.
	bg := context.Background()
	for i := range p.Steps {
		st := &p.Steps[i]
		res, err := r.exec(bg, dc, st.SQL, st.Args...)
		if err == nil {
			if st.ID != nil {
				*st.ID, err = res.LastInsertId()
			} else {
				err = affectedOne(res)
			}
		}
		if err != nil {
			r.rollback(dc)
			return st.Err(mapErr(err))
		}
	}
	if _, err := r.exec(bg, dc, "COMMIT"); err != nil {
		r.rollback(dc)
		return mapErr(err)
	}
	return nil
}

// rollback ends a transaction that failed; a COMMIT that failed may have
// ended it already, and the ROLLBACK's own error then says nothing new.
func (r *rawStmts) rollback(dc any) {
	_, _ = r.exec(context.Background(), dc, "ROLLBACK")
}

func affectedOne(res driver.Result) error {
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

func (r *rawStmts) exec(ctx context.Context, dc any, q string, args ...any) (driver.Result, error) {
	st, ok := r.stmts[q]
	if !ok {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return nil, errors.New("sqlite driver cannot prepare with a context")
		}
		var err error
		if st, err = pc.PrepareContext(ctx, withoutReturning(q)); err != nil {
			return nil, err
		}
		r.stmts[q] = st
	}
	ex, ok := st.(driver.StmtExecContext)
	if !ok {
		return nil, errors.New("sqlite driver statement cannot exec with a context")
	}
	nv := r.args[:0]
	for i, a := range args {
		v, err := driverValue(a)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		nv = append(nv, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	r.args = nv[:0]
	res, err := ex.ExecContext(ctx, nv)
	clear(nv) // holds no argument past the call
	return res, err
}

// withoutReturning drops an INSERT's RETURNING id, which the ID steps
// carry for PostgreSQL: SQLite collects returned rows in a temporary
// b-tree, opened and freed at every insert, and the raw path reads the
// id as the insert's rowid anyway (every such table's id is its INTEGER
// PRIMARY KEY).
func withoutReturning(q string) string {
	if s, ok := strings.CutSuffix(strings.TrimRightFunc(q, unicode.IsSpace), "RETURNING id"); ok {
		return strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return q
}

// driverValue is a as database/sql would give it to the driver, which
// checks no values of its own: the common kinds as they are, the rest
// through the default converter (named string and integer types, Valuer,
// pointers).
func driverValue(a any) (driver.Value, error) {
	switch v := a.(type) {
	case nil, int64, float64, bool, []byte, string, time.Time:
		return v, nil
	case int:
		return int64(v), nil
	}
	return driver.DefaultParameterConverter.ConvertValue(a)
}

// close finalises the statements if they are dc's; the connection is
// about to close.
func (r *rawStmts) close(dc any) error {
	if dc != r.conn {
		r.conn, r.stmts = nil, nil
		return nil
	}
	var errs []error
	for q, st := range r.stmts {
		errs = append(errs, st.Close())
		delete(r.stmts, q)
	}
	return errors.Join(errs...)
}
