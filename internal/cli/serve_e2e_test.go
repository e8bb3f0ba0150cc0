package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/app"
)

// served is a real `gantry serve` child process.
type served struct {
	t      *testing.T
	dir    string
	url    string
	env    []string
	cmd    *exec.Cmd
	log    string
	exited chan error
}

// serve starts gantry serve in dir with args and waits until /readyz
// answers 200. It is stopped with SIGTERM at the end of the test.
func serve(t *testing.T, dir string, env []string, args ...string) *served {
	t.Helper()
	addr := freeAddr(t)
	s := &served{t: t, dir: dir, url: "http://" + addr, env: env, log: filepath.Join(t.TempDir(), "serve.log")}
	lf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	cmd := exec.Command(gantryBin, append([]string{"serve", "--project", dir, "--addr", addr}, args...)...)
	cmd.Dir = dir
	cmd.Env = baseEnv(env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	// The server's revision folders are read-only; make them removable
	// for t.TempDir's cleanup, once the server stopped.
	t.Cleanup(func() { writable(dir) })
	t.Cleanup(s.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("gantry serve exited before it was ready: %v\n%s", err, tail(s.log, 40))
		default:
		}
		if resp, err := http.Get(s.url + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gantry serve not ready within 30s\n%s", tail(s.log, 40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *served) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("gantry serve did not stop on SIGTERM\n%s", tail(s.log, 40))
	}
	s.cmd = nil
}

// gantry runs a CLI command against the server.
func (s *served) gantry(args ...string) result {
	s.t.Helper()
	return gantryEnv(s.t, s.dir, append([]string{"GANTRY_SERVER=" + s.url}, s.env...), args...)
}

// must runs a CLI command against the server and fails the test unless it
// exits 0.
func (s *served) must(args ...string) result {
	s.t.Helper()
	r := s.gantry(args...)
	if r.code != 0 {
		s.t.Fatalf("%s\n--- server log\n%s", r, tail(s.log, 30))
	}
	return r
}

// getJSON reads an API path with the CLI's token into v.
func (s *served) getJSON(path, token string, v any) int {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			s.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// waitFor polls cond every 50ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

// adminBearer sends the admin token gantry serve keeps in the project
// folder with every request, as the CLI does.
type adminBearer struct {
	dir  string
	next http.RoundTripper
}

func (a adminBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok := app.ReadAdminToken(a.dir); tok != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return a.next.RoundTrip(r)
}

// gantry bench server drives a real server through its API: a small run
// of it prints every figure (and so keeps working as the API changes).
func TestBenchServerSmoke(t *testing.T) {
	t.Parallel()
	r := gantryEnv(t, t.TempDir(), nil, "bench", "server", "--samples", "3", "--pipelines", "10", "--history", "200")
	wantCode(t, r, 0)
	wantContains(t, "bench server", r.stdout, "upstream success → downstream first task start", "cron tick → first task start",
		"GET /api/v1/runs?limit=50", "server RSS")
}

// writable makes every folder under dir writable again.
func writable(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
}

// gantry bench prints, for each figure, the wall ratio against the raw loop
// and Gantry's own CPU per task, the start-up of gantry run against the
// task alone, and writes a CPU profile when asked; a --store that is not
// PostgreSQL is a usage error that measures nothing.
func TestBenchSmoke(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.pprof")
	r := gantryEnv(t, dir, nil, "bench", "--repeats", "1", "--scale", "10,20", "--chain", "20", "--cpuprofile", prof)
	wantCode(t, r, 0)
	wantContains(t, "bench", r.stdout, "chain of 100 vs raw sequential loop", "chain of 20 vs raw sequential loop",
		"own CPU", "µs/task", "start-up: gantry run of a one-task pipeline vs the task", "durable SQLite store",
		"a new project's store: created in")
	if b, err := os.ReadFile(prof); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("--cpuprofile wrote no gzipped profile to %s (err %v, %d bytes)", prof, err, len(b))
	}
	bad := gantryEnv(t, dir, nil, "bench", "--store", "sqlite:///tmp/x.db")
	wantCode(t, bad, 2)
	wantContains(t, "bench --store", bad.stderr, "want a postgres:// URL")
}

// gantry bench --store measures PostgreSQL, every run in the one store.
func TestBenchPostgres(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	r := gantryEnv(t, t.TempDir(), nil, "bench", "--repeats", "1", "--scale", "10", "--chain", "10", "--store", store)
	wantCode(t, r, 0)
	wantContains(t, "bench --store", r.stdout, "PostgreSQL store", "chain of 10 vs raw sequential loop", "own CPU")
	if strings.Contains(r.stdout, "a new project's store") {
		t.Errorf("bench --store made a SQLite store it does not use:\n%s", r)
	}
	if strings.Contains(r.stdout+r.stderr, "gantry:gantry@") {
		t.Errorf("bench printed the store's password:\n%s", r)
	}
}
