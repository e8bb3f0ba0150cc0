package logs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

func openStore(t *testing.T) *storesqlite.Store {
	t.Helper()
	st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// shipped is attempt id's log as the store has it ("" when nothing).
func shipped(t *testing.T, st *storesqlite.Store, id int64) string {
	t.Helper()
	l, err := logs.Chunks{Store: st}.Open(t.Context(), record.TaskAttempt{ID: id})
	if errors.Is(err, logs.ErrNoOutput) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := logs.Tail(l, l.Size())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A shipper follows the file as it grows, and stop ships the rest: the
// store ends up holding the file.
func TestShipFollowsTheFile(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	path := filepath.Join(t.TempDir(), "attempt.log")
	stop := logs.ShipWith(t.Context(), st, 7, path, logs.ShipOptions{Every: 5 * time.Millisecond})
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprint(f, "first line\n")
	waitFor(t, "the first line shipped while the attempt runs", func() bool { return shipped(t, st, 7) == "first line\n" })
	big := bytes.Repeat([]byte("0123456789abcdef"), 40<<10) // 640 KiB: several chunks
	f.Write(big)
	fmt.Fprint(f, "\nlast line, no newline")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	want := "first line\n" + string(big) + "\nlast line, no newline"
	if got := shipped(t, st, 7); got != want {
		t.Errorf("shipped %d bytes, want the file's %d", len(got), len(want))
	}
	if err := stop(); err != nil {
		t.Errorf("a second stop: %v", err)
	}

	// Fallback reads the file while it is here, the chunks once it is not.
	src := logs.Fallback{First: logs.Files{}, Then: logs.Chunks{Store: st}}
	a := record.TaskAttempt{ID: 7, Task: "t", Attempt: 1, LogPath: path}
	for _, where := range []string{"file", "store"} {
		if where == "store" {
			os.Remove(path)
		}
		l, err := src.Open(t.Context(), a)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if last, _ := logs.LastLines(l, 1, 100); last != "last line, no newline" {
			t.Errorf("%s: last line %q", where, last)
		}
		l.Close()
	}
	if _, err := src.Open(t.Context(), record.TaskAttempt{ID: 8, LogPath: path}); !errors.Is(err, logs.ErrNoOutput) {
		t.Errorf("an attempt with neither file nor chunks: %v, want ErrNoOutput", err)
	}
}

// Past its limit an attempt ships a truncation mark and nothing more.
func TestShipTruncatesAtTheLimit(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	path := filepath.Join(t.TempDir(), "attempt.log")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 300), 0o600); err != nil {
		t.Fatal(err)
	}
	stop := logs.ShipWith(t.Context(), st, 1, path, logs.ShipOptions{Limit: 100, Every: 5 * time.Millisecond})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("x", 100) + fmt.Sprintf(logs.TruncationMark, 100)
	if got := shipped(t, st, 1); got != want {
		t.Errorf("shipped %q, want %q", got, want)
	}
	// Exactly the limit is not truncated.
	if err := os.WriteFile(path, bytes.Repeat([]byte("y"), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	stop = logs.ShipWith(t.Context(), st, 2, path, logs.ShipOptions{Limit: 100})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := shipped(t, st, 2); got != strings.Repeat("y", 100) {
		t.Errorf("a log of exactly the limit shipped as %q", got)
	}
}

// A secret the task prints in two writes, apart in time, while the
// shipper follows the log: neither it nor its first half reaches the
// store, since the executor redacts before the file and the shipper ships
// only the file.
func TestShipNeverSeesASecretSplitAcrossWrites(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	e, err := process.New(process.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dir := t.TempDir()
	const secret = "sk-live-7hd93ke0"
	path := filepath.Join(dir, "attempt.log")
	a := executor.Attempt{
		Kind: "process", Dir: dir, LogPath: path, OutputPath: filepath.Join(dir, "out"),
		Command: `printf 'token: %s' "$HALF1"; sleep 0.5; printf '%s done\n' "$HALF2"`,
		Env:     []string{"HALF1=" + secret[:8], "HALF2=" + secret[8:]},
		Redact:  []string{secret},
		Timeout: 30 * time.Second,
	}
	stop := logs.ShipWith(t.Context(), st, 3, path, logs.ShipOptions{Every: 5 * time.Millisecond})
	res := e.Run(context.Background(), a)
	if res.Outcome != executor.Succeeded {
		t.Fatalf("the task: %+v", res)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	got := shipped(t, st, 3)
	if strings.Contains(got, secret) || strings.Contains(got, secret[:8]) {
		t.Fatalf("the store holds the secret or its first half: %q", got)
	}
	if !strings.Contains(got, "token: <redacted> done") {
		t.Errorf("shipped log %q, want the line with the secret redacted", got)
	}
}
