package remote_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/executor/remote"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// backing is a real store the claims go through.
type backing interface {
	remote.Store
	GetClaim(ctx context.Context, id int64) (record.Claim, error)
	ReadLog(ctx context.Context, attemptID, from int64) ([]byte, int64, error)
}

// eachStore runs fn on SQLite and on PostgreSQL.
func eachStore(t *testing.T, fn func(t *testing.T, s backing)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s, err := storepg.Open(t.Context(), pgtest.SchemaURL(t, "gantry_remote_"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
}

// recording keeps every payload queued, to look for secrets in.
type recording struct {
	backing
	mu       sync.Mutex
	payloads [][]byte
}

func (r *recording) EnqueueClaim(ctx context.Context, c *record.Claim) error {
	r.mu.Lock()
	r.payloads = append(r.payloads, append([]byte(nil), c.Payload...))
	r.mu.Unlock()
	return r.backing.EnqueueClaim(ctx, c)
}

// cluster is an Executor and the folders of "this machine"; workers get
// folders of their own, as on other machines.
type cluster struct {
	t    testing.TB
	s    backing
	x    *remote.Executor
	root string
	next int64
	mu   sync.Mutex
}

func newCluster(t testing.TB, s backing) *cluster {
	root := t.TempDir()
	return &cluster{t: t, s: s, root: root, x: &remote.Executor{Store: s, Root: root, LogDir: filepath.Join(root, ".gantry", "logs"), Poll: 50 * time.Millisecond}}
}

func (c *cluster) worker(id string, slots int, ttl time.Duration) *remote.Worker {
	c.t.Helper()
	return c.labelledWorker(id, slots, ttl, nil)
}

func (c *cluster) labelledWorker(id string, slots int, ttl time.Duration, labels map[string]string) *remote.Worker {
	c.t.Helper()
	return c.startWorker(id, slots, ttl, labels, nil)
}

func (c *cluster) startWorker(id string, slots int, ttl time.Duration, labels map[string]string, claimed func(time.Duration)) *remote.Worker {
	c.t.Helper()
	c.x.TTL = ttl // as a server's and its workers' is
	proc, err := process.New(process.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { proc.Close() })
	root := c.t.TempDir()
	w := &remote.Worker{
		Store: c.s, ID: id, Labels: labels, Slots: slots, TTL: ttl, Poll: 50 * time.Millisecond,
		Executors: executor.Set{process.Kind: proc}, Root: root, LogDir: filepath.Join(root, "logs"),
		Secrets: func(env, name string) (string, error) {
			if name == "warehouse_password" && env == "" {
				return "hunter2-line1\nline2", nil
			}
			if name == "flag" {
				return "1", nil
			}
			return "", fmt.Errorf("no secret %q", name)
		},
		Ship:    logs.ShipOptions{Every: 20 * time.Millisecond},
		Claimed: claimed,
	}
	if err := w.Start(c.t.Context()); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { w.Stop(5 * time.Second) })
	return w
}

// attempt is an attempt of cmd as the engine would hand it over.
func (c *cluster) attempt(cmd string) executor.Attempt {
	c.mu.Lock()
	c.next++
	id := c.next
	c.mu.Unlock()
	log := filepath.Join(c.x.LogDir, "1", fmt.Sprintf("t%d.1.log", id))
	return executor.Attempt{
		Kind: process.Kind, Command: cmd, Dir: c.root, LogPath: log, OutputPath: strings.TrimSuffix(log, ".log") + ".out",
		Env:   []string{"GANTRY_ATTEMPT_ID=" + strconv.FormatInt(id, 10), "NAME=world"},
		RunID: 1, AttemptID: id, Task: fmt.Sprintf("t%d", id), StartedAt: time.Now(),
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An attempt runs on a worker, in the worker's own copy of the project,
// with its secret resolved there: the result, outputs and log come back
// through the store, the log redacted, and no payload holds the secret.
func TestAttemptRunsOnAWorker(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		rec := &recording{backing: s}
		c := newCluster(t, rec)
		c.worker("w1", 2, 5*time.Second)
		a := c.attempt(`echo "hello $NAME from $(basename "$PWD")"; printf 'pw=%s\n' "$PW"; echo rows=12 > "$GANTRY_OUTPUT"`)
		secret := "hunter2-line1\nline2"
		a.Env = append(a.Env, "PW="+secret)
		a.Secrets = []executor.SecretEnv{{Key: "PW", Secret: "warehouse_password"}}
		a.Redact = []string{secret}

		res := c.x.Run(t.Context(), a)
		if res.Outcome != executor.Succeeded || len(res.Outputs) != 1 || res.Outputs[0].Value != "12" {
			t.Fatalf("result = %+v, want succeeded with rows=12", res)
		}
		log, _, err := s.ReadLog(t.Context(), a.AttemptID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(log), "hello world") || strings.Contains(string(log), "hunter2") || !strings.Contains(string(log), "<redacted>") {
			t.Errorf("the shipped log = %q, want the greeting and the secret redacted", log)
		}
		if strings.Contains(string(log), filepath.Base(c.root)) {
			t.Errorf("the task ran in this machine's folder, not the worker's: %q", log)
		}
		for _, p := range rec.payloads {
			if strings.Contains(string(p), "hunter2") || strings.Contains(string(p), "line2") {
				t.Errorf("a payload written to the store holds the secret: %s", p)
			}
		}
		if _, err := s.GetClaim(t.Context(), a.AttemptID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the ended claim is left in the store: %v", err)
		}
	})
}

// A secret value that reached the command or a plain env entry is never
// queued: the attempt fails saying why, without the value.
func TestSecretValueIsNeverQueued(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		for name, mutate := range map[string]func(*executor.Attempt){
			"command":   func(a *executor.Attempt) { a.Command = "echo s3cr3t-value" },
			"plain env": func(a *executor.Attempt) { a.Env = append(a.Env, "TOKEN=s3cr3t-value") },
			"escaped":   func(a *executor.Attempt) { a.Env = append(a.Env, "Q=\"s3cr3t\"\n") },
		} {
			a := c.attempt("true")
			mutate(&a)
			a.Redact = []string{"s3cr3t-value", "\"s3cr3t\"\n"}
			res := c.x.Run(t.Context(), a)
			if res.Outcome != executor.Failed || !strings.Contains(res.Error, "secret") || strings.Contains(res.Error, "s3cr3t") {
				t.Errorf("%s: result = %+v, want failed, saying a secret would be sent, without it", name, res)
			}
			if _, err := s.GetClaim(t.Context(), a.AttemptID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: a claim was queued: %v", name, err)
			}
		}
	})
}

// A worker that claimed an attempt and went away (it never renews): the
// attempt is lost once the lease ends, and the executor says so.
func TestWorkerGoneLosesItsClaim(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		c.x.TTL = time.Second
		a := c.attempt("true")
		go func() {
			for {
				got, err := s.ClaimNext(context.Background(), "ghost", nil, 1, time.Second, time.Now())
				if err != nil || len(got) > 0 {
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		res := c.x.Run(t.Context(), a)
		if res.Outcome != executor.Lost || !strings.Contains(res.Error, "ghost") {
			t.Errorf("result = %+v, want lost, naming the worker", res)
		}
	})
}

// Cancelling the attempt reaches the worker, which ends the task; Run
// returns once it has ended, as cancelled.
func TestCancelReachesTheWorker(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		w := c.worker("w1", 1, 900*time.Millisecond)
		a := c.attempt("sleep 30")
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			waitFor(t, "the worker to run it", func() bool { return w.Running() == 1 })
			cancel()
		}()
		start := time.Now()
		res := c.x.Run(ctx, a)
		if res.Outcome != executor.Cancelled {
			t.Errorf("result = %+v, want cancelled", res)
		}
		if w.Running() != 0 {
			t.Errorf("Run returned while the worker still runs the attempt")
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("the cancel took %s", d)
		}
	})
}

// A worker whose lease was taken from it (marked lost by another process
// while it was cut off) ends the task and records nothing: the attempt
// is lost, and the task never finished.
func TestFencedWorkerRecordsNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		w := c.worker("w1", 1, 900*time.Millisecond)
		marker := filepath.Join(t.TempDir(), "finished")
		a := c.attempt("sleep 3; touch " + marker)
		go func() {
			waitFor(t, "the worker to run it", func() bool { return w.Running() == 1 })
			// As if the lease had run out while the worker was cut off.
			if _, err := s.ExpireClaims(context.Background(), time.Now().Add(time.Hour), 0); err != nil {
				t.Error(err)
			}
		}()
		wantLostAndEnded(t, c.x.Run(t.Context(), a), w, marker)
	})
}

// A draining worker lets a short attempt finish, and hands a long one
// back once its grace ends: lost at once, not after the lease.
func TestDrainHandsBack(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		w := c.worker("w1", 2, 30*time.Second)
		short, long := c.attempt("sleep 0.3"), c.attempt("sleep 30")
		results := make(chan executor.Result, 2)
		for _, a := range []executor.Attempt{short, long} {
			go func() { results <- c.x.Run(t.Context(), a) }()
		}
		waitFor(t, "both to run", func() bool { return w.Running() == 2 })
		start := time.Now()
		w.Stop(time.Second)
		got := map[executor.Outcome]int{}
		for range 2 {
			got[(<-results).Outcome]++
		}
		if got[executor.Succeeded] != 1 || got[executor.Lost] != 1 {
			t.Errorf("outcomes = %v, want the short one succeeded and the long one lost", got)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("draining took %s, want about the grace (the lease is 30s)", d)
		}
	})
}

// Three workers claiming from one line run each of 60 attempts once.
func TestWorkersShareTheLine(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		ran := t.TempDir()
		for i := range 3 {
			c.worker(fmt.Sprintf("w%d", i), 4, 5*time.Second)
		}
		const n = 60
		var wg sync.WaitGroup
		outcomes := make([]executor.Result, n)
		ids := make([]int64, n)
		for i := range n {
			a := c.attempt(`mkdir "` + ran + `/$GANTRY_ATTEMPT_ID" || exit 9`)
			ids[i] = a.AttemptID
			wg.Go(func() { outcomes[i] = c.x.Run(t.Context(), a) })
		}
		wg.Wait()
		for i, r := range outcomes {
			if r.Outcome != executor.Succeeded {
				t.Errorf("attempt %d: %+v", ids[i], r)
			}
		}
		entries, err := os.ReadDir(ran)
		if err != nil || len(entries) != n {
			t.Errorf("%d attempts ran, want %d (%v)", len(entries), n, err)
		}
	})
}

// An attempt with worker labels runs only on a worker that carries them.
func TestLabelsPickTheWorker(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		c.worker("plain", 4, 5*time.Second)
		c.labelledWorker("gpu-box", 4, 5*time.Second, map[string]string{"gpu": "true", "zone": "eu-1"})
		for range 4 {
			a := c.attempt(`echo "on $GANTRY_WORKER"`)
			a.Labels = map[string]string{"gpu": "true"}
			res := c.x.Run(t.Context(), a)
			if res.Outcome != executor.Succeeded {
				t.Fatalf("result = %+v", res)
			}
			log, _, err := s.ReadLog(t.Context(), a.AttemptID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(log)); got != "on gpu-box" {
				t.Errorf("a gpu attempt ran %q, want on gpu-box", got)
			}
		}
	})
}

// cutOff is a store whose renewals never answer, as behind a black-holed
// network, and whose reads fail once down is set.
type cutOff struct {
	backing
	down atomic.Bool
}

func (s *cutOff) RenewClaim(ctx context.Context, id, token int64, ttl time.Duration, at time.Time) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

func (s *cutOff) GetClaim(ctx context.Context, id int64) (record.Claim, error) {
	if s.down.Load() {
		return record.Claim{}, errors.New("connection refused")
	}
	return s.backing.GetClaim(ctx, id)
}

func (s *cutOff) CancelClaim(ctx context.Context, id int64, why string) (record.Claim, error) {
	if s.down.Load() {
		return record.Claim{}, errors.New("connection refused")
	}
	return s.backing.CancelClaim(ctx, id, why)
}

// A worker cut off from the store (its renewals hang) ends the task
// before its lease ends, whatever the store does: the attempt is lost and
// retried, and the task never runs past the lease.
func TestCutOffWorkerEndsTheTaskInTime(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		cs := &cutOff{backing: s}
		c := newCluster(t, cs)
		w := c.worker("w1", 1, 900*time.Millisecond)
		marker := filepath.Join(t.TempDir(), "finished")
		a := c.attempt("sleep 3; touch " + marker)
		wantLostAndEnded(t, c.x.Run(t.Context(), a), w, marker)
	})
}

// With the store gone once the attempt is cancelled, Run still returns:
// lost, after GiveUp, not never.
func TestRunReturnsWhenTheStoreIsGone(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		cs := &cutOff{backing: s}
		c := newCluster(t, cs)
		c.x.GiveUp = time.Second
		a := c.attempt("true") // no worker: it stays queued
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			waitFor(t, "the claim", func() bool { _, err := s.GetClaim(t.Context(), a.AttemptID); return err == nil })
			cs.down.Store(true)
			cancel()
		}()
		done := make(chan executor.Result, 1)
		go func() { done <- c.x.Run(ctx, a) }()
		select {
		case res := <-done:
			if res.Outcome != executor.Lost {
				t.Errorf("result = %+v, want lost", res)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return 20s after its cancel, with the store gone")
		}
	})
}

// A secret as short as "1" does not keep an attempt from its worker: only
// the command and env values are looked in, not IDs and times.
func TestShortSecretStillRuns(t *testing.T) {
	eachStore(t, func(t *testing.T, s backing) {
		c := newCluster(t, s)
		c.worker("w1", 1, 5*time.Second)
		a := c.attempt("true")
		a.Env = append(a.Env, "FLAG=1")
		a.Secrets = []executor.SecretEnv{{Key: "FLAG", Secret: "flag"}}
		a.Redact = []string{"1"}
		res := c.x.Run(t.Context(), a)
		if res.Outcome != executor.Succeeded {
			t.Errorf("a one-character secret: %+v, want it run", res)
		}
	})
}

// wantLostAndEnded fails t unless res is lost and w ended the task before
// it could touch marker. Once w runs nothing its executor has returned,
// which it does only when nothing of the attempt is left running: a
// marker not there then never appears.
func wantLostAndEnded(t *testing.T, res executor.Result, w *remote.Worker, marker string) {
	t.Helper()
	if res.Outcome != executor.Lost {
		t.Errorf("result = %+v, want lost", res)
	}
	waitFor(t, "the worker to end the task", func() bool { return w.Running() == 0 })
	if _, err := os.Stat(marker); err == nil {
		t.Error("the worker let the task run to its end after its claim was no longer its")
	}
}
