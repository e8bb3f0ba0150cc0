package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// clusterCases test the LeaseStore half of a driver: leases and fencing,
// the workers registry and log chunks.
var clusterCases = []testCase{
	{"LeaseAcquireRenewRefuse", testLeaseAcquireRenewRefuse},
	{"LeaseRace", testLeaseRace},
	{"FencedWrites", testFencedWrites},
	{"Workers", testWorkers},
	{"LogChunks", testLogChunks},
}

func testLeaseAcquireRenewRefuse(t *testing.T, s store.Store) {
	now := time.Now()
	if _, err := s.GetLease(ctx(t), "leader"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetLease before anyone took it = %v, want ErrNotFound", err)
	}
	a, err := s.AcquireLease(ctx(t), "leader", "A", 10*time.Second, now)
	must(t, err)
	if a.Holder != "A" || a.Token != 1 || !a.ExpiresAt.Equal(stored(now.Add(10*time.Second))) {
		t.Errorf("first take = %+v, want A with token 1 until now+10s", a)
	}
	b, err := s.AcquireLease(ctx(t), "leader", "B", 10*time.Second, now.Add(time.Second))
	isErr(t, "B while A holds it", err, store.ErrConflict)
	if b.Holder != "A" || b.Token != 1 {
		t.Errorf("a refused take says %+v, want A's lease", b)
	}
	r, err := s.AcquireLease(ctx(t), "leader", "A", 10*time.Second, now.Add(5*time.Second))
	must(t, err)
	if r.Token != 1 || !r.ExpiresAt.Equal(stored(now.Add(15*time.Second))) || !r.AcquiredAt.Equal(a.AcquiredAt) {
		t.Errorf("renewal = %+v, want token 1 until now+15s, acquired as before", r)
	}
	// A stops renewing: once expired, B takes it with a greater token and A
	// cannot renew.
	b, err = s.AcquireLease(ctx(t), "leader", "B", 10*time.Second, now.Add(15*time.Second))
	must(t, err)
	if b.Holder != "B" || b.Token != 2 {
		t.Errorf("take after expiry = %+v, want B with token 2", b)
	}
	_, err = s.AcquireLease(ctx(t), "leader", "A", 10*time.Second, now.Add(16*time.Second))
	isErr(t, "the old holder renewing", err, store.ErrConflict)
	got, err := s.GetLease(ctx(t), "leader")
	must(t, err)
	equal(t, "stored lease", got, b)

	// Releasing with a stale token does nothing; with B's, A takes it at once.
	must(t, s.ReleaseLease(ctx(t), "leader", "B", 1))
	_, err = s.AcquireLease(ctx(t), "leader", "A", 10*time.Second, now.Add(17*time.Second))
	isErr(t, "take after a stale release", err, store.ErrConflict)
	must(t, s.ReleaseLease(ctx(t), "leader", "B", 2))
	a, err = s.AcquireLease(ctx(t), "leader", "A", 10*time.Second, now.Add(17*time.Second))
	must(t, err)
	if a.Token != 3 {
		t.Errorf("take after release = %+v, want token 3", a)
	}
	// Another lease is another row.
	o, err := s.AcquireLease(ctx(t), "other", "B", time.Second, now)
	must(t, err)
	if o.Token != 1 {
		t.Errorf("another lease's first token = %d, want 1", o.Token)
	}
	if _, err := s.AcquireLease(ctx(t), "leader", "", time.Second, now); err == nil {
		t.Error("a lease taken without a holder")
	}
}

// Many processes starting at once: exactly one takes the lease.
func testLeaseRace(t *testing.T, s store.Store) {
	const n = 8
	now := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.AcquireLease(ctx(t), "leader", fmt.Sprintf("p%d", i), time.Minute, now)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("p%d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d racing takers won the lease, want 1", won, n)
	}
	l, err := s.GetLease(ctx(t), "leader")
	must(t, err)
	if l.Token != 1 {
		t.Errorf("token after the race = %d, want 1", l.Token)
	}
}

// A write under a fence commits only while the lease is the fence's: a
// stale token or an expired lease is ErrFenced, and nothing is written.
func testFencedWrites(t *testing.T, s store.Store) {
	now := time.Now()
	a, err := s.AcquireLease(ctx(t), "leader", "A", time.Minute, now)
	must(t, err)
	live := store.WithFence(ctx(t), store.Fence{Lease: "leader", Holder: "A", Token: a.Token})
	r := record.Run{Pipeline: "p", Trigger: record.TriggerSchedule, IntervalStart: at(0), IntervalEnd: at(time.Hour)}
	must(t, s.CreateRun(live, &r, []string{"t"}))
	al := firingAlert("fp-live", "p", "", 0)
	must(t, s.SaveAlert(live, &al))

	// B takes the lease over: A's fence is stale.
	must(t, s.ReleaseLease(ctx(t), "leader", "A", a.Token))
	_, err = s.AcquireLease(ctx(t), "leader", "B", time.Minute, now)
	must(t, err)
	checkFenced(t, s, live, "stale token")

	// A fence naming the right holder and token of an expired lease.
	_, err = s.AcquireLease(ctx(t), "expired", "C", time.Millisecond, now.Add(-time.Hour))
	must(t, err)
	l, err := s.GetLease(ctx(t), "expired")
	must(t, err)
	checkFenced(t, s, store.WithFence(ctx(t), store.Fence{Lease: "expired", Holder: "C", Token: l.Token}), "expired lease")
	checkFenced(t, s, store.WithFence(ctx(t), store.Fence{Lease: "missing", Holder: "C", Token: 1}), "missing lease")

	// Without a fence the same writes are not checked.
	r2 := record.Run{Pipeline: "p", Trigger: record.TriggerManual}
	must(t, s.CreateRun(ctx(t), &r2, nil))
}

// checkFenced fails t unless every fenced write under fctx is ErrFenced and
// leaves nothing behind.
func checkFenced(t *testing.T, s store.Store, fctx context.Context, what string) {
	t.Helper()
	runs, err := s.ListRuns(ctx(t), store.RunFilter{Limit: -1})
	must(t, err)
	r := record.Run{Pipeline: "fenced", Trigger: record.TriggerSchedule, IntervalStart: at(2 * time.Hour), IntervalEnd: at(3 * time.Hour)}
	isErr(t, what+": CreateRun", s.CreateRun(fctx, &r, []string{"t"}), store.ErrFenced)
	after, err := s.ListRuns(ctx(t), store.RunFilter{Limit: -1})
	must(t, err)
	if len(after) != len(runs) {
		t.Errorf("%s: a fenced CreateRun created a run", what)
	}
	al := firingAlert("fp-fenced", "p", "", 0)
	isErr(t, what+": SaveAlert", s.SaveAlert(fctx, &al), store.ErrFenced)
	if _, err := s.GetAlertByFingerprint(ctx(t), "fp-fenced"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: a fenced SaveAlert saved the alert (%v)", what, err)
	}
	g := record.AlertGroup{Key: "g-fenced", Route: "r", CreatedAt: at(0), NextFlushAt: at(time.Minute)}
	d := &record.AlertDelivery{GroupKey: "g-fenced", Channel: "c", Kind: record.DeliveryFiring, At: at(0), OK: true}
	isErr(t, what+": SaveAlertGroup", s.SaveAlertGroup(fctx, &g, []*record.AlertDelivery{d}), store.ErrFenced)
	groups, err := s.ListAlertGroups(ctx(t))
	must(t, err)
	for _, gr := range groups {
		if gr.Key == "g-fenced" {
			t.Errorf("%s: a fenced SaveAlertGroup saved the group", what)
		}
	}
	_, err = s.PruneAlerts(fctx, time.Now())
	isErr(t, what+": PruneAlerts", err, store.ErrFenced)
	if err := s.AppendLogChunk(ctx(t), record.LogChunk{AttemptID: 999, Seq: 0, Data: []byte("x"), CreatedAt: at(-time.Hour)}); err != nil && !errors.Is(err, store.ErrConflict) {
		t.Fatal(err) // ErrConflict: an earlier check stored it
	}
	_, err = s.PruneLogChunks(fctx, time.Now())
	isErr(t, what+": PruneLogChunks", err, store.ErrFenced)
	if b, _, err := s.ReadLog(ctx(t), 999, 0); err != nil || string(b) != "x" {
		t.Errorf("%s: a fenced PruneLogChunks pruned: %q, %v", what, b, err)
	}
}

func testWorkers(t *testing.T, s store.Store) {
	ws, err := s.ListWorkers(ctx(t))
	must(t, err)
	if len(ws) != 0 {
		t.Errorf("workers of an empty store: %+v", ws)
	}
	w1 := record.Worker{ID: "w1", Host: "h1", Labels: map[string]string{"gpu": "yes"}, Slots: 4,
		StartedAt: at(0), HeartbeatAt: at(0), State: record.WorkerActive}
	w2 := record.Worker{ID: "w0", Host: "h2", StartedAt: at(time.Second), HeartbeatAt: at(time.Second), State: record.WorkerActive}
	must(t, s.RegisterWorker(ctx(t), w1))
	must(t, s.RegisterWorker(ctx(t), w2))
	must(t, s.HeartbeatWorker(ctx(t), "w1", 3, at(time.Minute)))
	isErr(t, "heartbeat of an unknown worker", s.HeartbeatWorker(ctx(t), "nope", 0, at(0)), store.ErrNotFound)
	ws, err = s.ListWorkers(ctx(t))
	must(t, err)
	w1.Running, w1.HeartbeatAt = 3, at(time.Minute)
	storedW := func(w record.Worker) record.Worker {
		w.StartedAt, w.HeartbeatAt = stored(w.StartedAt), stored(w.HeartbeatAt)
		return w
	}
	equal(t, "workers", ws, []record.Worker{storedW(w2), storedW(w1)})
	// Registering again overwrites: a worker that drains says so.
	w1.State = record.WorkerDraining
	must(t, s.RegisterWorker(ctx(t), w1))
	ws, err = s.ListWorkers(ctx(t))
	must(t, err)
	if len(ws) != 2 || ws[1].State != record.WorkerDraining {
		t.Errorf("re-registered worker: %+v", ws)
	}
	if err := s.RegisterWorker(ctx(t), record.Worker{}); err == nil {
		t.Error("a worker without an ID was registered")
	}
}

func testLogChunks(t *testing.T, s store.Store) {
	if _, _, err := s.ReadLog(ctx(t), 1, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadLog of an attempt without chunks = %v, want ErrNotFound", err)
	}
	parts := [][]byte{[]byte("hello "), []byte("shipped\n"), {0, 0xff, 'z'}}
	var off int64
	for i, p := range parts {
		must(t, s.AppendLogChunk(ctx(t), record.LogChunk{AttemptID: 1, Seq: int64(i), Offset: off, Data: p, CreatedAt: at(time.Duration(i) * time.Hour)}))
		off += int64(len(p))
	}
	must(t, s.AppendLogChunk(ctx(t), record.LogChunk{AttemptID: 2, Seq: 0, Data: []byte("other")}))
	isErr(t, "a chunk stored twice", s.AppendLogChunk(ctx(t), record.LogChunk{AttemptID: 1, Seq: 1, Offset: 6, Data: []byte("again")}), store.ErrConflict)
	all := bytes.Join(parts, nil)
	for _, from := range []int64{0, 3, 6, 10, int64(len(all)) - 1, int64(len(all)), 100} {
		b, size, err := s.ReadLog(ctx(t), 1, from)
		must(t, err)
		want := all[min(from, int64(len(all))):]
		if !bytes.Equal(b, want) || size != int64(len(all)) {
			t.Errorf("ReadLog from %d = %q (size %d), want %q (size %d)", from, b, size, want, len(all))
		}
	}
	n, err := s.PruneLogChunks(ctx(t), at(90*time.Minute))
	must(t, err)
	if n != 2 {
		t.Errorf("pruned %d chunks, want 2", n)
	}
	b, _, err := s.ReadLog(ctx(t), 1, 0)
	must(t, err)
	if !bytes.Equal(b, parts[2]) {
		t.Errorf("after pruning the log reads %q, want the last chunk %q", b, parts[2])
	}
}
