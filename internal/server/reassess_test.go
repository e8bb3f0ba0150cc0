package server

import (
	"context"
	"errors"
	"testing"
	"time"
)

type reassessCalls chan struct{}

func (c reassessCalls) ReassessPending(ctx context.Context) (int, error) {
	select {
	case c <- struct{}{}:
	case <-ctx.Done():
	}
	return 0, errors.New("the store is down")
}

// The leader judges pending deployments again on its ticker and at once
// when kicked, goes on after a failed round, and stops when told.
func TestReassessorJudgesOnTickAndKick(t *testing.T) {
	calls := make(reassessCalls)
	r := &Reassessor{Deploy: calls, Every: time.Hour}
	r.Kick() // before Start: kept, served by the first round
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	wait := func(why string) {
		t.Helper()
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("no judgement %s", why)
		}
	}
	wait("for a kick before Start")
	r.Kick()
	r.Kick() // coalesced with the one before
	wait("for a kick after a failed round")
	r.Stop()
	r.Stop()

	ticked := &Reassessor{Deploy: calls, Every: 5 * time.Millisecond}
	if err := ticked.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	wait("on the ticker")
	wait("on the ticker, again")
	ticked.Stop()
}
