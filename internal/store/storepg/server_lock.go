package storepg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrLocked is what Lock and LockShared return when a server (or a local
// deploy command) holds the store.
var ErrLocked = errors.New("another gantry server is using this PostgreSQL store")

// ErrLockedByRun is what Lock returns when only foreground `gantry run`s
// hold the store, shared.
var ErrLockedByRun = errors.New("a foreground gantry run is using this PostgreSQL store")

// The server lock is the session-level advisory lock with the two keys
// (hashtext('gantry-server'), hashtext(current_schema())): one per schema,
// since a schema is one store (see the search_path in the URL). In
// pg_locks it shows as locktype 'advisory', objsubid 2, with classid and
// objid those keys as oids.
//
// `gantry serve` processes, which may be many on one store (they elect a
// leader through the store's leader lease), hold instead the serve lock,
// shared: keys (hashtext('gantry-serve'), hashtext(current_schema())).
// Serving and the server lock exclude each other by taking their own lock
// first and then looking, in pg_locks, for a holder of the other: of two
// processes starting together at least one sees the other and gives up.
const (
	lockKeys      = `hashtext('gantry-server'), hashtext(current_schema())`
	lockSQL       = `SELECT pg_try_advisory_lock(` + lockKeys + `)`
	lockSharedSQL = `SELECT pg_try_advisory_lock_shared(` + lockKeys + `)`
	serveKeys     = `hashtext('gantry-serve'), hashtext(current_schema())`
	serveSQL      = `SELECT pg_try_advisory_lock_shared(` + serveKeys + `)`
	holderSQL     = `SELECT coalesce(a.application_name, ''), a.backend_start, l.mode = 'ShareLock'
		FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.pid <> pg_backend_pid()
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = hashtext($1)::oid AND l.objid = hashtext(current_schema())::oid
		ORDER BY l.mode = 'ShareLock', a.backend_start
		LIMIT 1`
	serverKey  = "gantry-server"
	serveKey   = "gantry-serve"
	maxAppName = 63 // PostgreSQL keeps NAMEDATALEN-1 bytes of application_name
)

// ServerLock holds the store's server lock on a connection of its own,
// outside the store's pool, so that no pooled use can release it or hand
// it on. The lock lasts as long as that connection: Ping tells whether it
// still does.
type ServerLock struct {
	mu     sync.Mutex // the connection serves one call at a time
	conn   *pgx.Conn
	url    string
	holder string
	sql    string // how it was taken: exclusive or shared
	name   string // HoldName's, taken again by Relock
}

// processKeys are the keys of the advisory lock a process holds, on its
// lock's session, under the name it has among the store's processes
// (HoldName): it is free once the process is gone.
const processKeys = `hashtext('gantry-process'), hashtext($1)`

// HoldName marks this process alive under name (its leader lease holder
// name) for as long as the lock's session lasts, and again after a
// Relock. Alive(name) is false, on any session, once the process is gone:
// PostgreSQL ends the session of a killed process at once.
func (l *ServerLock) HoldName(ctx context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.name = name
	return l.holdName(ctx)
}

func (l *ServerLock) holdName(ctx context.Context) error {
	if l.name == "" {
		return nil
	}
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_lock(`+processKeys+`)`, l.name); err != nil {
		return fmt.Errorf("hold process name: %w", err)
	}
	return nil
}

// Alive reports whether a process holds name (HoldName): false once that
// process is gone, or lost its session and has not taken it again yet.
func (l *ServerLock) Alive(ctx context.Context, name string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tx, err := l.conn.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("check process %s: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var free bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(`+processKeys+`)`, name).Scan(&free); err != nil {
		return false, fmt.Errorf("check process %s: %w", name, err)
	}
	return !free, nil
}

// Lock takes the server lock of the store at url, naming the holder
// (application_name, shown to whoever finds the lock held) holder. It
// fails with ErrLocked, saying who holds it, when another session does.
func Lock(ctx context.Context, url, holder string) (*ServerLock, error) {
	return lock(ctx, url, holder, lockSQL)
}

// LockServe takes the serve lock, as `gantry serve` does: any number of
// servers hold it at once, while no process holds the server lock (a
// local deploy command, a foreground run), which it fails with ErrLocked
// or ErrLockedByRun, saying who holds it.
func LockServe(ctx context.Context, url, holder string) (*ServerLock, error) {
	return lock(ctx, url, holder, serveSQL)
}

// LockShared takes the lock shared, as a foreground `gantry run` does:
// any number of them hold it at once, and while one does no server takes
// the store (Lock fails with ErrLockedByRun), since a server would take
// the run's attempts for a crashed server's and kill their tasks.
func LockShared(ctx context.Context, url, holder string) (*ServerLock, error) {
	return lock(ctx, url, holder, lockSharedSQL)
}

func lock(ctx context.Context, url, holder, sql string) (*ServerLock, error) {
	cfg, err := pgxpool.ParseConfig(url) // accepts the pool's own parameters too
	if err != nil {
		// pgx's message may hold the password; do not echo the URL.
		return nil, fmt.Errorf("lock postgres store: parse url: %w", err)
	}
	cc := cfg.ConnConfig.Copy()
	if len(holder) > maxAppName {
		holder = holder[:maxAppName]
	}
	cc.RuntimeParams["application_name"] = holder
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("lock postgres store: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, sql).Scan(&ok); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("lock postgres store: %w", err)
	}
	if ok {
		ok, err = othersFree(ctx, conn, sql)
		if err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("lock postgres store: %w", err)
		}
	}
	if !ok {
		err := refused(ctx, conn, sql)
		conn.Close(context.Background())
		return nil, err
	}
	return &ServerLock{conn: conn, url: url, holder: holder, sql: sql}, nil
}

// othersFree reports, once this session holds its lock, whether no other
// session holds the lock that excludes it: the server lock for a server,
// the serve lock for anyone else.
func othersFree(ctx context.Context, conn *pgx.Conn, sql string) (bool, error) {
	key := serveKey
	if sql == serveSQL {
		key = serverKey
	}
	var name string
	var since *time.Time
	var shared bool
	err := conn.QueryRow(ctx, holderSQL, key).Scan(&name, &since, &shared)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return true, nil
	case err != nil:
		return false, err
	}
	return false, nil
}

// refused is the error of a lock sql could not take: who holds what
// excludes it.
func refused(ctx context.Context, conn *pgx.Conn, sql string) error {
	if sql != serveSQL {
		if who, _, ok := describeHolder(ctx, conn, serveKey); ok {
			return fmt.Errorf("%w (%s)", ErrLocked, who)
		}
	}
	who, shared, _ := describeHolder(ctx, conn, serverKey)
	sentinel := ErrLocked
	if shared && sql != lockSharedSQL {
		sentinel = ErrLockedByRun
	}
	return fmt.Errorf("%w (%s)", sentinel, who)
}

// Relock takes the lock again on a new connection after the one that held
// it was lost (PostgreSQL restarted, the network dropped it). It fails
// with ErrLocked when another session took it meanwhile, and with the
// connection's error while the server cannot be reached.
func (l *ServerLock) Relock(ctx context.Context) error {
	fresh, err := lock(ctx, l.url, l.holder, l.sql)
	if err != nil {
		return err
	}
	l.Release()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conn = fresh.conn
	return l.holdName(ctx)
}

// describeHolder says who holds the lock key (serverKey or serveKey)
// besides this session, as well as PostgreSQL lets this role see, an
// exclusive holder first, whether that holder holds it shared (then every
// holder does), and whether anyone does.
func describeHolder(ctx context.Context, conn *pgx.Conn, key string) (who string, shared, held bool) {
	var name string
	var since *time.Time
	if err := conn.QueryRow(ctx, holderSQL, key).Scan(&name, &since, &shared); err != nil {
		return "held by another session", false, !errors.Is(err, pgx.ErrNoRows)
	}
	s := "held by " + name
	if name == "" {
		s = "held by a session without a name"
	}
	if since != nil {
		s += " since " + since.UTC().Format(time.RFC3339)
	}
	return s, shared, true
}

// Ping checks that the connection holding the lock is still there; when it
// is not, the lock is gone too (PostgreSQL releases a session's locks when
// the session ends). Not safe to call concurrently with itself.
func (l *ServerLock) Ping(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.conn.Ping(ctx); err != nil {
		return fmt.Errorf("the connection holding the store's server lock is lost: %w", err)
	}
	return nil
}

// Release drops the lock by closing its connection.
func (l *ServerLock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.conn.Close(ctx)
}
