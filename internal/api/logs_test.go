package api_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
)

func writeLog(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func appendLog(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

func readLogs(t *testing.T, c *apiclient.Client, runID int64, q api.LogQuery) string {
	t.Helper()
	rc, err := c.Logs(context.Background(), runID, q)
	if err != nil {
		t.Fatalf("Logs(%+v): %v", q, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestLogsTail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logs := map[string]string{
		"full":       writeLog(t, dir, "full.log", "one\ntwo\nthree\n"),
		"no newline": writeLog(t, dir, "partial.log", "one\ntwo\nthr"),
		"missing":    filepath.Join(dir, "never-written.log"),
	}
	cases := []struct {
		log  string
		tail int
		want string
	}{
		{"full", 0, "one\ntwo\nthree\n"},
		{"full", 1, "three\n"},
		{"full", 2, "two\nthree\n"},
		{"full", 3, "one\ntwo\nthree\n"},
		{"full", 10, "one\ntwo\nthree\n"},
		{"no newline", 1, "thr"},
		{"no newline", 2, "two\nthr"},
		{"missing", 0, ""},
		{"missing", 5, ""},
	}
	for _, tc := range cases {
		fake := populated()
		fake.ListAttemptsFunc = func(context.Context, int64, string) ([]record.TaskAttempt, error) {
			return []record.TaskAttempt{{ID: 1, RunID: 7, Task: "load", Attempt: 1, State: record.TaskSucceeded, LogPath: logs[tc.log]}}, nil
		}
		srv := newServer(t, fake)
		if got := readLogs(t, srv.client, 7, api.LogQuery{Tail: tc.tail}); got != tc.want {
			t.Errorf("%s tail=%d: got %q, want %q", tc.log, tc.tail, got, tc.want)
		}
	}
	// tail=0 on the wire means no lines, as tail -n 0 does; the client's
	// zero Tail sends no tail at all.
	fake := populated()
	fake.ListAttemptsFunc = func(context.Context, int64, string) ([]record.TaskAttempt, error) {
		return []record.TaskAttempt{{ID: 1, Task: "load", Attempt: 1, State: record.TaskSucceeded, LogPath: logs["full"]}}, nil
	}
	srv := newServer(t, fake)
	if resp := send(t, srv, "GET", "/api/v1/runs/7/logs?tail=0", "", ""); resp.status != 200 || resp.body != "" {
		t.Errorf("tail=0: %d %q", resp.status, resp.body)
	}
	if resp := send(t, srv, "GET", "/api/v1/runs/7/logs", "", ""); resp.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", resp.header.Get("Content-Type"))
	}
}

func TestLogsSeveralAttempts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	attempts := []record.TaskAttempt{
		{ID: 12, Task: "load", Attempt: 2, State: record.TaskSucceeded, LogPath: writeLog(t, dir, "12.log", "second try\nok\n")},
		{ID: 10, Task: "extract", Attempt: 1, State: record.TaskSucceeded, LogPath: writeLog(t, dir, "10.log", "extracted")},
		{ID: 11, Task: "load", Attempt: 1, State: record.TaskFailed, LogPath: writeLog(t, dir, "11.log", "first try\nboom\n")},
	}
	var gotTask string
	var mu sync.Mutex
	fake := populated()
	fake.ListAttemptsFunc = func(_ context.Context, _ int64, task string) ([]record.TaskAttempt, error) {
		mu.Lock()
		gotTask = task
		mu.Unlock()
		var out []record.TaskAttempt
		for _, a := range attempts {
			if task == "" || a.Task == task {
				out = append(out, a)
			}
		}
		return out, nil
	}
	srv := newServer(t, fake)
	want := "==> extract #1 <==\nextracted\n==> load #1 <==\nfirst try\nboom\n==> load #2 <==\nsecond try\nok\n"
	if got := readLogs(t, srv.client, 7, api.LogQuery{}); got != want {
		t.Errorf("whole run:\n got %q\nwant %q", got, want)
	}
	want = "==> load #1 <==\nboom\n==> load #2 <==\nok\n"
	if got := readLogs(t, srv.client, 7, api.LogQuery{Task: "load", Tail: 1}); got != want {
		t.Errorf("task load, tail 1:\n got %q\nwant %q", got, want)
	}
	mu.Lock()
	if gotTask != "load" {
		t.Errorf("ListAttempts task = %q, want load", gotTask)
	}
	mu.Unlock()
	if got := readLogs(t, srv.client, 7, api.LogQuery{Task: "load", Attempt: 2}); got != "second try\nok\n" {
		t.Errorf("load #2: %q", got)
	}
	_, err := srv.client.Logs(context.Background(), 7, api.LogQuery{Task: "load", Attempt: 3})
	var apiErr *apiclient.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("load #3: %v, want 404", err)
	}
}

// liveAttempts is a fake's view of attempts that the test changes while a
// follow is under way.
type liveAttempts struct {
	mu       sync.Mutex
	attempts []record.TaskAttempt
	runState record.RunState
}

func (l *liveAttempts) list(context.Context, int64, string) ([]record.TaskAttempt, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]record.TaskAttempt(nil), l.attempts...), nil
}

func (l *liveAttempts) getRun(_ context.Context, id int64) (record.Run, []record.RunTask, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return record.Run{ID: id, State: l.runState}, nil, nil
}

func (l *liveAttempts) update(f func(l *liveAttempts)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// lineReader yields the lines of a stream as they arrive.
func lineReader(r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				ch <- line
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("the stream ended early")
		}
		return line
	case <-time.After(5 * time.Second):
		t.Fatal("no line within 5s: the stream is not flushed")
	}
	return ""
}

func expectEnd(t *testing.T, lines <-chan string) {
	t.Helper()
	select {
	case line, ok := <-lines:
		if ok {
			t.Fatalf("unexpected line %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end within 5s of the attempt being final")
	}
}

// Following one attempt streams each appended line as it is written and
// ends once the attempt is final and its file drained.
func TestLogsFollowAttempt(t *testing.T) {
	t.Parallel()
	path := writeLog(t, t.TempDir(), "1.log", "before\nearlier\n")
	live := &liveAttempts{attempts: []record.TaskAttempt{
		{ID: 1, RunID: 7, Task: "load", Attempt: 1, State: record.TaskRunning, LogPath: path},
	}}
	fake := populated()
	fake.ListAttemptsFunc = live.list
	srv := newServer(t, fake)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, err := srv.client.Logs(ctx, 7, api.LogQuery{Task: "load", Attempt: 1, Tail: 1, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	lines := lineReader(rc)
	if got := nextLine(t, lines); got != "earlier\n" {
		t.Fatalf("tail: %q, want earlier", got)
	}
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		appendLog(t, path, line)
		if got := nextLine(t, lines); got != line {
			t.Fatalf("got %q, want %q", got, line)
		}
	}
	// Written just before the attempt ends: still delivered.
	appendLog(t, path, "last words\n")
	live.update(func(l *liveAttempts) { l.attempts[0].State = record.TaskSucceeded })
	if got := nextLine(t, lines); got != "last words\n" {
		t.Fatalf("got %q, want the last line", got)
	}
	expectEnd(t, lines)
}

// Following a whole run picks up attempts that start later and ends only
// when the run is final.
func TestLogsFollowRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := &liveAttempts{runState: record.RunRunning}
	fake := populated()
	fake.ListAttemptsFunc = live.list
	fake.GetRunFunc = live.getRun
	srv := newServer(t, fake)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, err := srv.client.Logs(ctx, 7, api.LogQuery{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	lines := lineReader(rc)

	first := filepath.Join(dir, "1.log")
	live.update(func(l *liveAttempts) {
		l.attempts = append(l.attempts, record.TaskAttempt{ID: 1, Task: "load", Attempt: 1, State: record.TaskRunning, LogPath: first})
	})
	appendLog(t, first, "try 1\n")
	if got := nextLine(t, lines); got != "try 1\n" {
		t.Fatalf("got %q", got)
	}
	// The attempt fails; the run goes on to a retry.
	live.update(func(l *liveAttempts) { l.attempts[0].State = record.TaskFailed })
	time.Sleep(300 * time.Millisecond) // several polls with every attempt final
	second := writeLog(t, dir, "2.log", "try 2\n")
	live.update(func(l *liveAttempts) {
		l.attempts = append(l.attempts, record.TaskAttempt{ID: 2, Task: "load", Attempt: 2, State: record.TaskRunning, LogPath: second})
	})
	if got := nextLine(t, lines); got != "==> load #2 <==\n" {
		t.Fatalf("got %q, want the second attempt's header", got)
	}
	if got := nextLine(t, lines); got != "try 2\n" {
		t.Fatalf("got %q", got)
	}
	live.update(func(l *liveAttempts) {
		l.attempts[1].State = record.TaskSucceeded
		l.runState = record.RunSucceeded
	})
	expectEnd(t, lines)
}

// memLog is a log held in memory, as one shipped to the store would be.
type memLog struct{ *strings.Reader }

func (memLog) Close() error { return nil }

// sourceFunc is a logs.Source of a function.
type sourceFunc func(a record.TaskAttempt) (logs.Log, error)

func (f sourceFunc) Open(_ context.Context, a record.TaskAttempt) (logs.Log, error) { return f(a) }

// The API serves logs from the Source it is given, not only from files:
// an attempt that ran elsewhere has no local path.
func TestLogsFromAnotherSource(t *testing.T) {
	t.Parallel()
	fake := populated()
	fake.ListAttemptsFunc = func(context.Context, int64, string) ([]record.TaskAttempt, error) {
		return []record.TaskAttempt{
			{ID: 1, Task: "extract", Attempt: 1, State: record.TaskSucceeded},
			{ID: 2, Task: "load", Attempt: 1, State: record.TaskSucceeded},
		}, nil
	}
	src := sourceFunc(func(a record.TaskAttempt) (logs.Log, error) {
		if a.ID == 2 {
			return nil, logs.ErrNoOutput
		}
		return memLog{strings.NewReader("remote one\nremote two\n")}, nil
	})
	srv := httptest.NewServer(api.NewHandler(fake, api.Options{Logs: src}))
	t.Cleanup(srv.Close)
	c := apiclient.New(srv.URL+"/", srv.Client())
	if got, want := readLogs(t, c, 7, api.LogQuery{Tail: 1}), "==> extract #1 <==\nremote two\n"; got != want {
		t.Errorf("logs = %q, want %q", got, want)
	}
}
