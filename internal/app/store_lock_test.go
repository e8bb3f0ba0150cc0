package app_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/app"
)

// A store held by one ExclusiveStore is refused to a second; the holder's
// watch notices its file removed; a store missing where the project had
// one is refused until the project's store-id file is removed.
func TestExclusiveStore(t *testing.T) {
	t.Setenv(app.WatchIntervalEnv, "1ms")
	dir := t.TempDir()
	db := app.DefaultStore(dir)
	st, err := app.OpenExclusive(t.Context(), dir, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Watch(slog.New(slog.DiscardHandler))

	if again, err := app.OpenExclusive(t.Context(), dir, db); !errors.Is(err, app.ErrStoreInUse) {
		if err == nil {
			again.Close()
		}
		t.Fatalf("a second hold on the same store: %v, want ErrStoreInUse", err)
	}
	if err := st.Err(); err != nil {
		t.Fatalf("Err with the file in place: %v", err)
	}

	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for st.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the watch did not notice the store file removed")
		}
		time.Sleep(time.Millisecond)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = app.OpenProjectStore(t.Context(), dir, db)
	if err == nil || !strings.Contains(err.Error(), "is missing, but this project had a store there") {
		t.Fatalf("opening a removed store: %v", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused open created the store: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, app.StoreIDFile)); err != nil {
		t.Fatal(err)
	}
	fresh, err := app.OpenProjectStore(t.Context(), dir, db)
	if err != nil {
		t.Fatalf("a fresh start after removing %s: %v", app.StoreIDFile, err)
	}
	fresh.Close()
}
