package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

var _ store.Store = (*Store)(nil)

// busyTimeoutMS is how long a connection waits for another process holding
// the write lock (a second gantry command on the same file) before failing.
const busyTimeoutMS = 10000

// Store is a store.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store
	write *sql.DB  // one connection: SQLite has one writer at a time
	read  *sql.DB  // read-only pool
	stmts rawStmts // Apply's, on write's connection

	closeOnce sync.Once
	closeErr  error
}

// Open opens, creating it and its parent directories when missing, the
// SQLite database at path and brings its schema up to date.
//
// path may end in a query: ?synchronous=full makes every commit wait for an
// fsync (see the package documentation); ?synchronous=normal is the default.
func Open(ctx context.Context, path string) (*Store, error) {
	file, syncMode, err := parsePath(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	if dir := parent(file); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite store: %w", err)
		}
	}
	s, err := open(ctx, file, syncMode)
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", file, err)
	}
	return s, nil
}

func open(ctx context.Context, file, syncMode string) (_ *Store, err error) {
	s := &Store{}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.write, err = sql.Open("sqlite", dsn(file, syncMode, false)); err != nil {
		return nil, err
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	// The first connection switches the file to WAL; only then may readers open.
	if err = s.write.PingContext(ctx); err != nil {
		return nil, err
	}
	if err = migrate(ctx, s.write); err != nil {
		return nil, err
	}
	if s.read, err = sql.Open("sqlite", dsn(file, syncMode, true)); err != nil {
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	s.Store = sqlstore.New(sqlstore.NewDB(s.write, s.read, dialect{}))
	return s, nil
}

// parsePath splits path into the file name and the synchronous setting.
func parsePath(path string) (file, syncMode string, err error) {
	file, query, _ := strings.Cut(path, "?")
	if file == "" {
		return "", "", errors.New("empty path")
	}
	if file == ":memory:" || strings.HasPrefix(file, "file:") {
		return "", "", fmt.Errorf("%q: a plain file path is required", file)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("%q: %w", path, err)
	}
	syncMode = "NORMAL"
	for k, v := range q {
		switch {
		case k == "synchronous" && len(v) == 1 && strings.EqualFold(v[0], "full"):
			syncMode = "FULL"
		case k == "synchronous" && len(v) == 1 && strings.EqualFold(v[0], "normal"):
		default:
			return "", "", fmt.Errorf("%q: unsupported option %s=%s (want synchronous=normal or synchronous=full)", path, k, strings.Join(v, ","))
		}
	}
	return file, syncMode, nil
}

// mmapBytes is how much of the database file reads map (SQLite's
// mmap_size); past it, pages are read as usual.
const mmapBytes = 1 << 30

func dsn(file, syncMode string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+fmt.Sprint(busyTimeoutMS)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+syncMode+")")
	q.Add("_pragma", "foreign_keys(1)")
	// Reads go through a memory map of the file rather than a read(2)
	// per page: the dashboard's reads over every pipeline touch thousands
	// of pages, which cost more in system calls than in SQLite.
	q.Add("_pragma", "mmap_size("+fmt.Sprint(mmapBytes)+")")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Take the write lock at BEGIN: a deferred transaction that reads
		// first could fail with SQLITE_BUSY when another process commits.
		q.Set("_txlock", "immediate")
	}
	return file + "?" + q.Encode()
}

// Close closes the store's connections; the last to close checkpoints the
// WAL into the database file. Calling it again returns the same result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.Store != nil {
			errs = append(errs, s.DB().Close())
		}
		if s.read != nil {
			errs = append(errs, s.read.Close())
		}
		if s.write != nil {
			// Apply's statements are finalised first; a connection busy
			// past the wait keeps them, and closes once they are.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if c, err := s.write.Conn(ctx); err == nil {
				errs = append(errs, c.Raw(s.stmts.close), c.Close())
			}
			cancel()
			errs = append(errs, s.write.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
