package store

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// ClaimStore holds the claims through which task attempts reach the
// workers that run them (see record.Claim). Many processes call it at
// once: on PostgreSQL a claim is taken with SELECT … FOR UPDATE SKIP
// LOCKED, so workers claiming together neither wait on each other nor
// take one claim twice.
//
// Times are the caller's clock, as for leases: at is when the caller
// acts, and a lease lives while at is before its LeaseUntil.
type ClaimStore interface {
	// EnqueueClaim inserts c as queued (QueuedAt now when zero) and wakes
	// the workers that wait (ClaimEvents). A claim for c's attempt already
	// stored is ErrConflict.
	EnqueueClaim(ctx context.Context, c *record.Claim) error
	// ClaimNext claims up to n queued claims for worker, oldest first,
	// among those whose labels the worker's include, each under a lease
	// until at+ttl, and returns them claimed (Token set). None queued is
	// an empty slice, not an error.
	ClaimNext(ctx context.Context, worker string, labels map[string]string, n int, ttl time.Duration, at time.Time) ([]record.Claim, error)
	// RenewClaim extends the lease of attempt's claim to at+ttl when worker
	// holds it with token (claimed, not marked lost), and returns why the
	// worker is asked to end the attempt ("" when it is not). Otherwise it
	// is ErrFenced: the claim is no longer the worker's, and the attempt
	// must stop. A lease past its end that nobody marked lost (a store
	// outage kept everyone from renewing and from expiring) is renewed.
	RenewClaim(ctx context.Context, attemptID, token int64, ttl time.Duration, at time.Time) (cancel string, err error)
	// CompleteClaim records the worker's result and marks the claim done,
	// when the worker holds it with token; otherwise it is ErrFenced and
	// records nothing: a worker whose claim was marked lost (and so may
	// run again elsewhere) cannot record an outcome. at is when the
	// worker records it.
	CompleteClaim(ctx context.Context, attemptID, token int64, result []byte, at time.Time) error
	// HandBackClaim marks the claim lost at once, when the worker holds it
	// with token (a draining worker gives up an attempt it will not end),
	// so it is retried without waiting out the lease; otherwise ErrFenced.
	HandBackClaim(ctx context.Context, attemptID, token int64) error
	// HandBackWorkerClaims marks lost at once every claim worker holds
	// but those of the attempts in except, and returns their attempts'
	// IDs: a dead worker's task guard, once it has killed what the worker
	// ran, gives them up so that they are retried without waiting out
	// their leases (except: attempts some of whose processes would not
	// die, left to their leases).
	HandBackWorkerClaims(ctx context.Context, worker string, except []int64) ([]int64, error)
	// CancelClaim asks for attempt's claim to end: a queued one is
	// cancelled at once, a claimed one is told why at its worker's next
	// renewal. It returns the claim as it then is; ErrNotFound when there
	// is none.
	CancelClaim(ctx context.Context, attemptID int64, why string) (record.Claim, error)
	// ExpireClaims marks lost every claimed claim that may be lost by at
	// (record.Claim.MayLoseAt: its lease's end plus its worker's own TTL,
	// or plus grace for a claim that does not say), and returns them.
	// Only then may the attempt run again: the claim's worker can no
	// longer renew it or record a result, and has ended the attempt.
	ExpireClaims(ctx context.Context, at time.Time, grace time.Duration) ([]record.Claim, error)
	// GetClaim returns attempt's claim, or ErrNotFound.
	GetClaim(ctx context.Context, attemptID int64) (record.Claim, error)
	// DeleteClaim removes attempt's claim, once its outcome is recorded
	// with the attempt; none is not an error.
	DeleteClaim(ctx context.Context, attemptID int64) error
	// ClaimDepth counts the queued claims by pool ("" for none).
	ClaimDepth(ctx context.Context) (map[string]int, error)
	// ClaimEvents delivers, until ctx ends, a value whenever a claim may
	// have been queued or ended (the attempt's ID; 0 for "look"), on a
	// driver that can say so across processes (PostgreSQL's
	// LISTEN/NOTIFY). It returns a nil channel where it cannot: callers
	// poll. Deliveries are dropped, never queued, while the reader is busy.
	ClaimEvents(ctx context.Context) (<-chan int64, error)
}
