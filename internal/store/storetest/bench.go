package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Bench runs, as sub-benchmarks, the alert loop's and the deploy flow's
// commonest calls on a store open creates: a driver's benchmark is one
// line.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("SaveAlert", func(b *testing.B) { benchSaveAlert(b, open(b)) })
	b.Run("ListFiringAlerts", func(b *testing.B) { benchListFiring(b, open(b)) })
	b.Run("ActivateDeployment", func(b *testing.B) { benchActivate(b, open(b)) })
}

// benchSaveAlert overwrites one of 100 alerts a pass, as the alert loop
// does for each alert whose state changed.
func benchSaveAlert(b *testing.B, s store.Store) {
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		n++
		a := record.Alert{Fingerprint: fmt.Sprint(n % 100), Name: "TaskFailed", Kind: "task",
			Pipeline: "orders", Env: "prod", State: record.AlertFiring,
			Labels: map[string]string{"pipeline": "orders", "task": "load", "severity": "page"}}
		if err := s.SaveAlert(b.Context(), &a); err != nil {
			b.Fatal(err)
		}
	}
}

// benchListFiring reads the 50 firing alerts of 200, as every pass of the
// alert loop does.
func benchListFiring(b *testing.B, s store.Store) {
	for i := range 200 {
		a := record.Alert{Fingerprint: fmt.Sprint(i), Name: "TaskFailed", State: record.AlertResolved,
			Labels: map[string]string{"pipeline": "orders", "n": fmt.Sprint(i)}, EndsAt: time.Now()}
		if i%4 == 0 {
			a.State, a.EndsAt = record.AlertFiring, time.Time{}
		}
		if err := s.SaveAlert(b.Context(), &a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		as, err := s.ListAlerts(b.Context(), store.AlertFilter{State: record.AlertFiring, Limit: -1})
		if err != nil || len(as) != 50 {
			b.Fatalf("%d alerts, %v", len(as), err)
		}
	}
}

// benchActivate deploys and activates a revision, superseding the last.
func benchActivate(b *testing.B, s store.Store) {
	rev := record.Revision{Hash: "bench", Pipeline: "orders"}
	if _, err := s.CreateRevision(b.Context(), rev, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d := &record.Deployment{Pipeline: "orders", Env: "prod", Revision: "bench", Gates: []string{"check"}}
		ev := &record.AuditEvent{Actor: "alice", Action: record.AuditActivate, Pipeline: "orders", Env: "prod"}
		if _, err := s.ActivateDeployment(b.Context(), store.Activation{New: d, Audit: ev}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchClaimLifecycle measures one attempt's way through the claims table
// per op — queued, claimed, completed, deleted — on s, starting at
// attempt ID next (IDs below it may be taken).
func BenchClaimLifecycle(b *testing.B, s store.Store, next int64) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		c := record.Claim{AttemptID: next, RunID: 1, Task: "t", Payload: []byte("{}")}
		next++
		if err := s.EnqueueClaim(ctx, &c); err != nil {
			b.Fatal(err)
		}
		got, err := s.ClaimNext(ctx, "w", nil, 1, time.Minute, time.Now())
		if err != nil || len(got) != 1 {
			b.Fatalf("claim: %v, %d", err, len(got))
		}
		if err := s.CompleteClaim(ctx, got[0].AttemptID, got[0].Token, []byte(`{"outcome":"succeeded"}`), time.Now()); err != nil {
			b.Fatal(err)
		}
		if err := s.DeleteClaim(ctx, got[0].AttemptID); err != nil {
			b.Fatal(err)
		}
	}
}
