package storepg_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
)

// Foreground runs share the lock among themselves; a server is refused
// while one holds it, and a run while a server does, each naming the
// holder.
func TestLockShared(t *testing.T) {
	t.Parallel()
	u := pgtest.SchemaURL(t, "lock_shared_")
	r1, err := storepg.LockShared(t.Context(), u, "gantry run pid 1")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := storepg.LockShared(t.Context(), u, "gantry run pid 2")
	if err != nil {
		t.Fatalf("a second foreground run: %v", err)
	}
	l, err := storepg.Lock(t.Context(), u, "gantry serve pid 3")
	if !errors.Is(err, storepg.ErrLockedByRun) || !strings.Contains(err.Error(), "held by gantry run pid") {
		if err == nil {
			l.Release()
		}
		t.Fatalf("a server beside two runs: %v, want ErrLockedByRun naming a run", err)
	}
	r1.Release()
	r2.Release()
	srv, err := storepg.Lock(t.Context(), u, "gantry serve pid 3")
	if err != nil {
		t.Fatalf("a server once the runs ended: %v", err)
	}
	defer srv.Release()
	l, err = storepg.LockShared(t.Context(), u, "gantry run pid 4")
	if !errors.Is(err, storepg.ErrLocked) || !strings.Contains(err.Error(), "held by gantry serve pid 3") {
		if err == nil {
			l.Release()
		}
		t.Fatalf("a run beside a server: %v, want ErrLocked naming the server", err)
	}
}

// Servers share the serve lock; a local deploy command or a foreground run
// is refused while one holds it, and a server while one of those holds the
// server lock. A process's name is alive while its lock's session lasts.
func TestLockServe(t *testing.T) {
	t.Parallel()
	u := pgtest.SchemaURL(t, "lock_serve_")
	s1, err := storepg.LockServe(t.Context(), u, "gantry serve pid 1")
	if err != nil {
		t.Fatal(err)
	}
	s2, err := storepg.LockServe(t.Context(), u, "gantry serve pid 2")
	if err != nil {
		t.Fatalf("a second server: %v", err)
	}
	defer s2.Release()
	for _, lock := range []func(context.Context, string, string) (*storepg.ServerLock, error){storepg.Lock, storepg.LockShared} {
		l, err := lock(t.Context(), u, "gantry deploy pid 3")
		if !errors.Is(err, storepg.ErrLocked) || !strings.Contains(err.Error(), "held by gantry serve pid 1") {
			if err == nil {
				l.Release()
			}
			t.Fatalf("a deploy command or run beside servers: %v, want ErrLocked naming the first server", err)
		}
	}
	if err := s1.HoldName(t.Context(), "serve-1"); err != nil {
		t.Fatal(err)
	}
	if alive, err := s2.Alive(t.Context(), "serve-1"); err != nil || !alive {
		t.Errorf("Alive(serve-1) while it holds its lock = %v, %v; want true", alive, err)
	}
	s1.Release()
	// The session ends a moment after its connection closes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		alive, err := s2.Alive(t.Context(), "serve-1")
		if err != nil {
			t.Fatal(err)
		}
		if !alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Alive(serve-1) still true 10s after its lock's session ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s2.Release()
	r, err := storepg.LockShared(t.Context(), u, "gantry run pid 4")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	l, err := storepg.LockServe(t.Context(), u, "gantry serve pid 5")
	if !errors.Is(err, storepg.ErrLockedByRun) || !strings.Contains(err.Error(), "held by gantry run pid 4") {
		if err == nil {
			l.Release()
		}
		t.Fatalf("a server beside a foreground run: %v, want ErrLockedByRun naming it", err)
	}
}
