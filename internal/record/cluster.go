package record

import "time"

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
