package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// claimCases test the ClaimStore half of a driver.
var claimCases = []testCase{
	{"ClaimLifecycle", testClaimLifecycle},
	{"ClaimLeaseExpiry", testClaimLeaseExpiry},
	{"ClaimHandBackWorker", testClaimHandBackWorker},
	{"ClaimOutage", testClaimOutage},
	{"ClaimLabels", testClaimLabels},
	{"ClaimCancelQueued", testClaimCancelQueued},
	{"ClaimRace", testClaimRace},
	{"ClaimEvents", testClaimEvents},
}

func enqueue(t *testing.T, s store.Store, id int64, pool string, labels map[string]string) record.Claim {
	t.Helper()
	c := record.Claim{AttemptID: id, RunID: 1, Task: fmt.Sprintf("t%d", id), Pool: pool, Labels: labels,
		Payload: []byte(fmt.Sprintf(`{"attempt":%d}`, id))}
	must(t, s.EnqueueClaim(ctx(t), &c))
	return c
}

func claimIDs(cs []record.Claim) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.AttemptID
	}
	return ids
}

// A claim goes queued → claimed (oldest first, as many as asked) → done;
// renewals and the result need the token it was claimed with, and the
// engine's cancel reaches the worker through its renewal.
func testClaimLifecycle(t *testing.T, s store.Store) {
	now := time.Now()
	for id := int64(1); id <= 3; id++ {
		enqueue(t, s, id, "", nil)
	}
	dup := record.Claim{AttemptID: 2, RunID: 1, Task: "again"}
	isErr(t, "a second claim of attempt 2", s.EnqueueClaim(ctx(t), &dup), store.ErrConflict)

	got, err := s.ClaimNext(ctx(t), "w1", nil, 2, 10*time.Second, now)
	must(t, err)
	equal(t, "the first two claimed", claimIDs(got), []int64{1, 2})
	c := got[0]
	if c.State != record.ClaimClaimed || c.Worker != "w1" || c.Token != 1 || string(c.Payload) != `{"attempt":1}` ||
		!c.LeaseUntil.Equal(stored(now.Add(10*time.Second))) {
		t.Errorf("claimed = %+v, want w1's with token 1, its payload, a lease until now+10s", c)
	}
	rest, err := s.ClaimNext(ctx(t), "w2", nil, 5, 10*time.Second, now)
	must(t, err)
	equal(t, "what w2 claims after", claimIDs(rest), []int64{3})
	none, err := s.ClaimNext(ctx(t), "w2", nil, 5, 10*time.Second, now)
	must(t, err)
	if len(none) != 0 {
		t.Errorf("claiming from an empty line = %v, want none", claimIDs(none))
	}

	why, err := s.RenewClaim(ctx(t), 1, 1, 10*time.Second, now.Add(5*time.Second))
	must(t, err)
	if why != "" {
		t.Errorf("renewal says cancel %q before any cancel", why)
	}
	_, err = s.RenewClaim(ctx(t), 1, 2, 10*time.Second, now.Add(5*time.Second))
	isErr(t, "a renewal with another token", err, store.ErrFenced)
	cc, err := s.CancelClaim(ctx(t), 1, "the run was cancelled")
	must(t, err)
	if cc.State != record.ClaimClaimed || cc.Cancel != "the run was cancelled" {
		t.Errorf("cancelling a claimed claim = %+v, want it claimed, told why", cc)
	}
	why, err = s.RenewClaim(ctx(t), 1, 1, 10*time.Second, now.Add(6*time.Second))
	must(t, err)
	if why != "the run was cancelled" {
		t.Errorf("the renewal after a cancel says %q, want why", why)
	}

	isErr(t, "a result with another token", s.CompleteClaim(ctx(t), 1, 7, []byte("forged"), now.Add(7*time.Second)), store.ErrFenced)
	must(t, s.CompleteClaim(ctx(t), 1, 1, []byte(`{"outcome":"cancelled"}`), now.Add(7*time.Second)))
	isErr(t, "a second result", s.CompleteClaim(ctx(t), 1, 1, []byte("again"), now.Add(8*time.Second)), store.ErrFenced)
	done, err := s.GetClaim(ctx(t), 1)
	must(t, err)
	if done.State != record.ClaimDone || string(done.Result) != `{"outcome":"cancelled"}` {
		t.Errorf("after its result = %+v, want done with the first result", done)
	}
	must(t, s.DeleteClaim(ctx(t), 1))
	_, err = s.GetClaim(ctx(t), 1)
	isErr(t, "a deleted claim", err, store.ErrNotFound)
	must(t, s.DeleteClaim(ctx(t), 1)) // none is not an error
}

// A lease that is not renewed ends, and ExpireClaims marks it lost, not
// before; then its worker can neither renew it nor record a result. Until
// then (a store outage kept the worker from renewing, and everyone from
// expiring) the worker renews it and records its result as usual.
func testClaimOutage(t *testing.T, s store.Store) {
	now := time.Now()
	enqueue(t, s, 12, "", nil)
	got, err := s.ClaimNext(ctx(t), "w1", nil, 1, 10*time.Second, now)
	must(t, err)
	equal(t, "claimed", claimIDs(got), []int64{12})
	after := now.Add(25 * time.Second) // the store was down past the lease's end
	_, err = s.RenewClaim(ctx(t), 12, 1, 10*time.Second, after)
	must(t, err)
	expired, err := s.ExpireClaims(ctx(t), after.Add(5*time.Second), 0)
	must(t, err)
	if len(expired) != 0 {
		t.Errorf("a renewed lease expired: %v", claimIDs(expired))
	}
	must(t, s.CompleteClaim(ctx(t), 12, 1, []byte("ok"), after.Add(40*time.Second)))
}

// A dead worker's claims are handed back at once, all and only its own
// that it still holds: not another worker's, not one it recorded.
func testClaimHandBackWorker(t *testing.T, s store.Store) {
	now := time.Now()
	for _, id := range []int64{30, 31, 32, 33} {
		enqueue(t, s, id, "", nil)
	}
	got, err := s.ClaimNext(ctx(t), "w1", nil, 3, time.Minute, now)
	must(t, err)
	equal(t, "w1 claimed", claimIDs(got), []int64{30, 31, 32})
	token31 := got[1].Token
	got, err = s.ClaimNext(ctx(t), "w2", nil, 1, time.Minute, now)
	must(t, err)
	equal(t, "w2 claimed", claimIDs(got), []int64{33})
	must(t, s.CompleteClaim(ctx(t), 31, token31, []byte("ok"), now))

	ids, err := s.HandBackWorkerClaims(ctx(t), "w1", []int64{32}) // 32's processes would not die
	must(t, err)
	equal(t, "handed back", ids, []int64{30})
	for id, want := range map[int64]record.ClaimState{30: record.ClaimLost, 31: record.ClaimDone, 32: record.ClaimClaimed, 33: record.ClaimClaimed} {
		c, err := s.GetClaim(ctx(t), id)
		must(t, err)
		if c.State != want {
			t.Errorf("claim %d %s, want %s", id, c.State, want)
		}
	}
	_, err = s.RenewClaim(ctx(t), 30, 1, time.Minute, now)
	isErr(t, "renewing a claim handed back", err, store.ErrFenced)
	ids, err = s.HandBackWorkerClaims(ctx(t), "w1", nil)
	must(t, err)
	equal(t, "handed back at last", ids, []int64{32})
	ids, err = s.HandBackWorkerClaims(ctx(t), "w1", nil)
	must(t, err)
	equal(t, "handed back again", len(ids), 0)
	ids, err = s.HandBackWorkerClaims(ctx(t), "w1' OR 1=1 --", nil)
	must(t, err)
	equal(t, "a hostile worker name", len(ids), 0)
}

// A lease that is not renewed ends: ExpireClaims marks it lost, not
// before, and then its worker can neither renew it nor record a result.
func testClaimLeaseExpiry(t *testing.T, s store.Store) {
	now := time.Now()
	enqueue(t, s, 10, "", nil)
	enqueue(t, s, 11, "", nil)
	got, err := s.ClaimNext(ctx(t), "w1", nil, 2, 10*time.Second, now)
	must(t, err)
	equal(t, "claimed", claimIDs(got), []int64{10, 11})

	expired, err := s.ExpireClaims(ctx(t), now.Add(5*time.Second), 0)
	must(t, err)
	if len(expired) != 0 {
		t.Errorf("expired while the leases live: %v", claimIDs(expired))
	}
	// Past the lease's end, within the worker's own grace (its TTL): a
	// process with a shorter TTL of its own must not mark it lost, as the
	// worker may still be ending the attempt.
	expired, err = s.ExpireClaims(ctx(t), now.Add(15*time.Second), time.Second)
	must(t, err)
	if len(expired) != 0 {
		t.Errorf("expired within the claiming worker's grace: %v", claimIDs(expired))
	}
	if c, err := s.GetClaim(ctx(t), 10); err != nil || !c.LostAt.Equal(c.LeaseUntil.Add(10*time.Second)) {
		t.Errorf("claim %+v (%v): want LostAt a TTL after LeaseUntil", c, err)
	}
	late := now.Add(21 * time.Second)

	// The worker hands 11 back: lost at once, and then no longer its.
	isErr(t, "handing back with another token", s.HandBackClaim(ctx(t), 11, 9), store.ErrFenced)
	must(t, s.HandBackClaim(ctx(t), 11, 1))
	isErr(t, "a result for a claim handed back", s.CompleteClaim(ctx(t), 11, 1, []byte("ok"), now.Add(time.Second)), store.ErrFenced)

	expired, err = s.ExpireClaims(ctx(t), late, 0)
	must(t, err)
	equal(t, "expired", claimIDs(expired), []int64{10})
	_, err = s.RenewClaim(ctx(t), 10, 1, 10*time.Second, late)
	isErr(t, "renewing a claim marked lost", err, store.ErrFenced)
	isErr(t, "a result for a claim marked lost", s.CompleteClaim(ctx(t), 10, 1, []byte("ok"), late), store.ErrFenced)
	for _, id := range []int64{10, 11} {
		c, err := s.GetClaim(ctx(t), id)
		must(t, err)
		if c.State != record.ClaimLost || c.Result != nil {
			t.Errorf("claim %d = %s with result %q, want lost with none", id, c.State, c.Result)
		}
	}
	again, err := s.ClaimNext(ctx(t), "w2", nil, 5, 10*time.Second, late)
	must(t, err)
	if len(again) != 0 {
		t.Errorf("lost claims were claimed again: %v (the engine retries as a new attempt)", claimIDs(again))
	}
}

// A worker claims a claim only when its labels include the claim's.
func testClaimLabels(t *testing.T, s store.Store) {
	now := time.Now()
	enqueue(t, s, 20, "", map[string]string{"gpu": "true", "zone": "eu-1"})
	enqueue(t, s, 21, "", map[string]string{"zone": "us-1"})
	enqueue(t, s, 22, "", nil)

	got, err := s.ClaimNext(ctx(t), "plain", nil, 5, time.Minute, now)
	must(t, err)
	equal(t, "a worker without labels", claimIDs(got), []int64{22})
	got, err = s.ClaimNext(ctx(t), "gpu-only", map[string]string{"gpu": "true"}, 5, time.Minute, now)
	must(t, err)
	equal(t, "a worker missing zone", claimIDs(got), []int64{})
	got, err = s.ClaimNext(ctx(t), "wrong-zone", map[string]string{"gpu": "true", "zone": "eu-2"}, 5, time.Minute, now)
	must(t, err)
	equal(t, "a worker in another zone", claimIDs(got), []int64{})
	got, err = s.ClaimNext(ctx(t), "eu", map[string]string{"gpu": "true", "zone": "eu-1", "disk": "ssd"}, 5, time.Minute, now)
	must(t, err)
	equal(t, "a worker with every label and more", claimIDs(got), []int64{20})

	// A key that is not a plain name is refused, and stores nothing.
	bad := record.Claim{AttemptID: 23, RunID: 1, Task: "x", Labels: map[string]string{`a"b`: "1"}}
	if err := s.EnqueueClaim(ctx(t), &bad); err == nil || !strings.Contains(err.Error(), `label "a\"b"`) {
		t.Errorf("a hostile label key = %v, want it named and refused", err)
	}
	_, err = s.GetClaim(ctx(t), 23)
	isErr(t, "the refused claim", err, store.ErrNotFound)
	_, err = s.ClaimNext(ctx(t), "w", map[string]string{`') OR 1=1 --`: "x"}, 5, time.Minute, now)
	if err == nil {
		t.Error("a worker's hostile label key was accepted")
	}
}

// A queued claim cancelled is never claimed; queue depth counts by pool.
func testClaimCancelQueued(t *testing.T, s store.Store) {
	now := time.Now()
	enqueue(t, s, 30, "warehouse", nil)
	enqueue(t, s, 31, "warehouse", nil)
	enqueue(t, s, 32, "", nil)
	d, err := s.ClaimDepth(ctx(t))
	must(t, err)
	equal(t, "depth", d, map[string]int{"warehouse": 2, "": 1})

	c, err := s.CancelClaim(ctx(t), 30, "")
	must(t, err)
	if c.State != record.ClaimCancelled {
		t.Errorf("a queued claim cancelled = %s, want cancelled", c.State)
	}
	_, err = s.CancelClaim(ctx(t), 99, "x")
	isErr(t, "cancelling no claim", err, store.ErrNotFound)
	got, err := s.ClaimNext(ctx(t), "w", nil, 5, time.Minute, now)
	must(t, err)
	equal(t, "claimed after the cancel", claimIDs(got), []int64{31, 32})
	d, err = s.ClaimDepth(ctx(t))
	must(t, err)
	equal(t, "depth once claimed", d, map[string]int{})
}

// Workers claiming at once take every claim exactly once.
func testClaimRace(t *testing.T, s store.Store) {
	const n, workers = 120, 6
	for id := int64(1); id <= n; id++ {
		enqueue(t, s, 100+id, "", nil)
	}
	var mu sync.Mutex
	owner := map[int64]string{}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		name := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				got, err := s.ClaimNext(ctx(t), name, nil, 3, time.Minute, time.Now())
				if err != nil {
					errs[w] = err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					if prev, ok := owner[c.AttemptID]; ok {
						t.Errorf("claim %d taken by %s and by %s", c.AttemptID, prev, name)
					}
					owner[c.AttemptID] = name
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, store.ErrConflict) {
			t.Errorf("a racing claimer failed: %v", err)
		}
	}
	if len(owner) != n {
		t.Errorf("%d of %d claims taken", len(owner), n)
	}
}

// Where the driver tells other processes (ClaimEvents is not nil), a
// queued claim is told as 0 and an ended one by its attempt.
func testClaimEvents(t *testing.T, s store.Store) {
	ev, err := s.ClaimEvents(ctx(t))
	must(t, err)
	if ev == nil {
		return // this driver's callers poll
	}
	enqueue(t, s, 40, "", nil)
	waitEvent(t, ev, 0)
	got, err := s.ClaimNext(ctx(t), "w", nil, 1, time.Minute, time.Now())
	must(t, err)
	equal(t, "claimed", claimIDs(got), []int64{40})
	must(t, s.CompleteClaim(ctx(t), 40, got[0].Token, []byte("{}"), time.Now()))
	waitEvent(t, ev, 40)
}

func waitEvent(t *testing.T, ev <-chan int64, want int64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case id := <-ev:
			if id == want {
				return
			}
		case <-deadline:
			t.Fatalf("no claim event %d within 10s", want)
		}
	}
}
