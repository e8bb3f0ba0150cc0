package storepg_test

import (
	"errors"
	"strings"
	"testing"

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
