package record

import (
	"fmt"
	"time"
)

// Lease is a named lease one process holds at a time: the leader lease
// ("leader") says which `gantry serve` schedules, evaluates alerts and runs
// maintenance. Token grows by one whenever the lease changes hands (or is
// taken again after it expired), so a write fenced by a holder's token is
// refused once anyone else has held the lease since.
type Lease struct {
	Name       string
	Holder     string
	Token      int64
	AcquiredAt time.Time // when Holder took it (not renewals)
	RenewedAt  time.Time
	ExpiresAt  time.Time
}

// Live reports whether the lease is held at now: it has a holder and has not
// expired.
func (l Lease) Live(now time.Time) bool { return l.Holder != "" && now.Before(l.ExpiresAt) }

// Worker states.
const (
	WorkerActive   = "active"
	WorkerDraining = "draining"
	WorkerGone     = "gone"
)

// Worker is a process that runs task attempts: every `gantry serve`, and
// every `gantry worker`. It registers itself and heartbeats while it lives.
type Worker struct {
	ID          string
	Host        string
	Labels      map[string]string
	Slots       int // attempts it runs at once; 0: no limit of its own
	Running     int // attempts running at its last heartbeat
	StartedAt   time.Time
	HeartbeatAt time.Time
	State       string // active|draining|gone
}

// LogChunk is a piece of an attempt's log shipped to the store: bytes
// [Offset, Offset+len(Data)) of the log, Seq-th of the attempt's chunks
// (from 0).
type LogChunk struct {
	AttemptID int64
	Seq       int64
	Offset    int64
	Data      []byte
	CreatedAt time.Time
}

// ClaimState is where a claim is in its life.
type ClaimState string

// Claim states. A claim is queued until a worker claims it; claimed while
// that worker renews its lease; then done (the worker recorded a result),
// lost (its lease expired, or the worker handed it back) or cancelled
// (while still queued).
const (
	ClaimQueued    ClaimState = "queued"
	ClaimClaimed   ClaimState = "claimed"
	ClaimDone      ClaimState = "done"
	ClaimLost      ClaimState = "lost"
	ClaimCancelled ClaimState = "cancelled"
)

// Final reports whether nothing more happens to a claim in state s.
func (s ClaimState) Final() bool {
	return s == ClaimDone || s == ClaimLost || s == ClaimCancelled
}

// Claim is a task attempt offered to every worker: queued by the process
// that runs the run, taken by one worker, which holds it under a lease it
// renews while the attempt runs. Token grows by one at each claiming, and
// a worker's renewals and result are refused unless they carry the token
// it claimed with, while its lease lives.
type Claim struct {
	AttemptID int64 // the attempt it runs: one claim per attempt
	RunID     int64
	Task      string
	Pool      string            // the pipeline's pool, "" when none: queue depth is told by pool
	Labels    map[string]string // a worker claims it only when its own labels include these
	// Payload is what the worker needs to run the attempt, encoded by the
	// process that queued it; never a secret's value.
	Payload    []byte
	State      ClaimState
	Worker     string // who claimed it; "" while queued
	Token      int64
	Cancel     string // why the worker is asked to end the attempt; "" when it is not
	Result     []byte // the worker's result, once done
	QueuedAt   time.Time
	ClaimedAt  time.Time // zero while queued
	LeaseUntil time.Time // zero while queued
	// LostAt is when the claim may be marked lost, if its worker has not
	// renewed it by then: its lease's end plus the worker's own TTL as
	// grace. Zero while queued, and on a claim taken before it was kept.
	LostAt time.Time
}

// MayLoseAt is when c may be marked lost: LostAt, or for a claim without
// one its lease's end plus grace.
func (c Claim) MayLoseAt(grace time.Duration) time.Time {
	if !c.LostAt.IsZero() {
		return c.LostAt
	}
	return c.LeaseUntil.Add(grace)
}

// CheckLabelKey refuses a worker label key that is not 1 to 63 of
// A-Z a-z 0-9 _ . / - (a key is matched inside a JSON path on SQLite).
func CheckLabelKey(k string) error {
	ok := k != "" && len(k) <= 63
	for i := 0; ok && i < len(k); i++ {
		c := k[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-'
	}
	if !ok {
		return fmt.Errorf("label %q: a key is 1 to 63 of A-Z, a-z, 0-9, _ . / -", k)
	}
	return nil
}
