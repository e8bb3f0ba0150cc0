package logs_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
)

// attempt writes content as an attempt's log file and returns the attempt.
func attempt(t *testing.T, content string) record.TaskAttempt {
	t.Helper()
	path := filepath.Join(t.TempDir(), "load.1.log")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return record.TaskAttempt{ID: 7, Task: "load", Attempt: 1, LogPath: path}
}

func open(t *testing.T, a record.TaskAttempt) logs.Log {
	t.Helper()
	l, err := logs.Files{}.Open(t.Context(), a)
	if err != nil {
		t.Fatalf("Open(%s): %v", a.LogPath, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestFilesReadsTheWholeLog(t *testing.T) {
	t.Parallel()
	l := open(t, attempt(t, "extracted\nloaded 1200 rows\n"))
	got, err := io.ReadAll(logs.From(l, 0))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "extracted\nloaded 1200 rows\n" || l.Size() != int64(len(got)) {
		t.Errorf("read %q (size %d)", got, l.Size())
	}
	rest, _ := io.ReadAll(logs.From(l, 10))
	if string(rest) != "loaded 1200 rows\n" {
		t.Errorf("From(10) = %q", rest)
	}
	if past, _ := io.ReadAll(logs.From(l, 1000)); len(past) != 0 {
		t.Errorf("From past the end = %q, want nothing", past)
	}
}

// An attempt that has not written anything has no output, whether its
// record names no file or a file not created yet.
func TestFilesNoOutputYet(t *testing.T) {
	t.Parallel()
	for name, a := range map[string]record.TaskAttempt{
		"no path":         {Task: "load", Attempt: 1},
		"no file yet":     {Task: "load", Attempt: 1, LogPath: filepath.Join(t.TempDir(), "1", "load.1.log")},
		"folder gone too": {Task: "load", Attempt: 2, LogPath: "/nonexistent/gantry/logs/1/load.2.log"},
	} {
		l, err := logs.Files{}.Open(t.Context(), a)
		if !errors.Is(err, logs.ErrNoOutput) {
			t.Errorf("%s: Open = %v, %v; want ErrNoOutput", name, l, err)
		}
	}
}

// A log that cannot be read is an error, not an empty log.
func TestFilesUnreadable(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	a := attempt(t, "secret-free but private\n")
	if err := os.Chmod(a.LogPath, 0); err != nil {
		t.Fatal(err)
	}
	_, err := logs.Files{}.Open(t.Context(), a)
	if err == nil || errors.Is(err, logs.ErrNoOutput) {
		t.Errorf("Open of an unreadable log = %v, want a permission error", err)
	}
}

// A log opened while its task still writes shows what was there; opened
// again, what came since.
func TestFilesGrowingLog(t *testing.T) {
	t.Parallel()
	a := attempt(t, "one\n")
	first := open(t, a)
	f, err := os.OpenFile(a.LogPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("two\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if b, _ := io.ReadAll(logs.From(first, 0)); string(b) != "one\n" {
		t.Errorf("the first open reads %q, want what was written then", b)
	}
	if b, _ := io.ReadAll(logs.From(open(t, a), first.Size())); string(b) != "two\n" {
		t.Errorf("reopened from %d: %q, want the new line", first.Size(), b)
	}
}

func TestTail(t *testing.T) {
	t.Parallel()
	// A capped log, as the executor leaves it: head, a mark, tail.
	capped := strings.Repeat("head\n", 1000) +
		"… gantry: 1.0 MiB of output cut here (log capped at 10.0 KiB; head and tail kept) …\n" +
		strings.Repeat("tail\n", 1000)
	tests := []struct {
		name, log string
		n         int64
		want      string
		truncated bool
	}{
		{"shorter than the budget", "done\n", 100, "done\n", false},
		{"exactly the budget", "done\n", 5, "done\n", false},
		{"longer than the budget", "aaaa\nbbbb\n", 5, "bbbb\n", true},
		{"empty", "", 100, "", false},
		{"capped log: its tail", capped, 50, strings.Repeat("tail\n", 10), true},
		{"capped log: over the mark", capped, 5200, capped[len(capped)-5200:], true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, truncated, err := logs.Tail(open(t, attempt(t, tc.log)), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want || truncated != tc.truncated {
				t.Errorf("Tail(%d) = %q, %v; want %q, %v", tc.n, got, truncated, tc.want, tc.truncated)
			}
		})
	}
}

func TestLastLines(t *testing.T) {
	t.Parallel()
	var many strings.Builder
	for i := range 30 {
		many.WriteString(strings.Repeat("x", i) + "\n")
	}
	tests := []struct {
		name, log string
		lines     int
		bytes     int64
		want      string
	}{
		{"fewer lines than asked", "a\nb\n", 10, 2048, "a\nb"},
		{"the last lines", "1\n2\n3\n4\n", 2, 2048, "3\n4"},
		{"no final newline", "1\n2\n3", 2, 2048, "2\n3"},
		{"windows line ends", "1\r\n2\r\n", 10, 2048, "1\n2"},
		{"the byte budget cuts the first line", "hello world\nbye\n", 10, 8, "rld\nbye"},
		{"a long log costs its budget", many.String(), 3, 100, strings.Repeat("x", 27) + "\n" + strings.Repeat("x", 28) + "\n" + strings.Repeat("x", 29)},
		{"empty", "", 10, 2048, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := logs.LastLines(open(t, attempt(t, tc.log)), tc.lines, tc.bytes)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("LastLines(%d, %d) = %q, want %q", tc.lines, tc.bytes, got, tc.want)
			}
		})
	}
}

func TestLineOffset(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("0123456789abcdef\n", 5000) // 85 000 bytes: several reads back
	tests := []struct {
		name, log string
		n         int
		want      string // what follows the offset
	}{
		{"none", "one\ntwo\n", 0, ""},
		{"one", "one\ntwo\nthree\n", 1, "three\n"},
		{"two", "one\ntwo\nthree\n", 2, "two\nthree\n"},
		{"all", "one\ntwo\nthree\n", 3, "one\ntwo\nthree\n"},
		{"more than there are", "one\ntwo\nthree\n", 10, "one\ntwo\nthree\n"},
		{"last line without newline", "one\ntwo\nthr", 1, "thr"},
		{"blank lines count", "one\n\n\n", 2, "\n\n"},
		{"empty", "", 3, ""},
		{"across read chunks", long, 3000, long[len(long)-3000*17:]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := open(t, attempt(t, tc.log))
			off, err := logs.LineOffset(l, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(logs.From(l, off))
			if string(got) != tc.want {
				t.Errorf("LineOffset(%d) = %d, which reads %q; want %q", tc.n, off, got, tc.want)
			}
		})
	}
}
