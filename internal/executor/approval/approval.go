package approval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Store is what the executor needs of the store.
type Store interface {
	OpenTaskApproval(ctx context.Context, a record.TaskApproval) (record.TaskApproval, error)
	GetTaskApproval(ctx context.Context, attemptID int64) (record.TaskApproval, error)
	ListTaskDecisions(ctx context.Context, attemptID int64) ([]record.TaskDecision, error)
	EndTaskApproval(ctx context.Context, attemptID int64, state record.TaskApprovalState, at time.Time) error
}

// DefaultTimeout is how long an attempt given no timeout waits.
const DefaultTimeout = 24 * time.Hour

// DefaultPoll is how often a waiting attempt reads the store when nothing
// kicks it: decisions taken through another Gantry process.
const DefaultPoll = time.Second

// Executor runs approval attempts. It is safe for concurrent use.
type Executor struct {
	st   Store
	poll time.Duration
	now  func() time.Time

	mu      sync.Mutex
	waiters map[int64]chan struct{}
}

// New returns an Executor on st that polls every poll (0: DefaultPoll).
func New(st Store, poll time.Duration) *Executor {
	if poll <= 0 {
		poll = DefaultPoll
	}
	return &Executor{st: st, poll: poll, now: time.Now, waiters: map[int64]chan struct{}{}}
}

// Kick wakes the attempt waiting on the approval of attemptID, if it runs
// here, to read the decision just stored.
func (x *Executor) Kick(attemptID int64) {
	x.mu.Lock()
	ch := x.waiters[attemptID]
	x.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Reap finds nothing: an approval attempt leaves no process behind, and
// its question stays in the store for the resumed attempt.
func (x *Executor) Reap(context.Context, executor.Handle) (bool, error) { return false, nil }

// Run opens the attempt's question and waits for its decision.
func (x *Executor) Run(ctx context.Context, a executor.Attempt) executor.Result {
	started := a.StartedAt
	if started.IsZero() {
		started = x.now()
	}
	res := executor.Result{ExitCode: -1, StartedAt: started}
	end := func(o executor.Outcome, msg string) executor.Result {
		res.Outcome, res.Error, res.FinishedAt = o, msg, x.now()
		x.log(a, msg)
		return res
	}
	if a.Approval == nil || a.Approval.Required < 1 {
		return end(executor.Failed, "not an approval task: no approval to ask for")
	}
	if a.Timeout <= 0 {
		a.Timeout = DefaultTimeout // nobody waits forever
	}
	deadline := started.Add(a.Timeout)
	kick := make(chan struct{}, 1)
	x.mu.Lock()
	x.waiters[a.AttemptID] = kick
	x.mu.Unlock()
	defer func() {
		x.mu.Lock()
		delete(x.waiters, a.AttemptID)
		x.mu.Unlock()
	}()

	tick := time.NewTicker(x.poll)
	defer tick.Stop()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	timeout := timer.C
	opened, announced := false, false
	var lastErr error
	for {
		var ap record.TaskApproval
		var err error
		if !opened {
			ap, err = x.st.OpenTaskApproval(ctx, record.TaskApproval{
				AttemptID: a.AttemptID, RunID: a.RunID, Task: a.Task,
				Required: a.Approval.Required, Approvers: a.Approval.Approvers, Guards: a.Approval.Guards,
				CreatedAt: started, Deadline: deadline,
			})
			opened = err == nil
		} else {
			ap, err = x.st.GetTaskApproval(ctx, a.AttemptID)
		}
		switch {
		case err != nil:
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				if lastErr == nil {
					x.log(a, "the store did not answer; asking again: "+err.Error())
				}
				lastErr = err
			}
		case ap.State != record.ApprovalWaiting:
			return x.decided(ctx, a, ap, end, &res)
		case !announced:
			announced = true
			lastErr = nil
			x.log(a, waitingText(a, ap))
		default:
			lastErr = nil
		}
		if !x.now().Before(deadline) {
			if !opened {
				// Never asked: the store did not take the question.
				return end(executor.TimedOut, fmt.Sprintf("not approved within %s: the store never took the question (%v)", a.Timeout, lastErr))
			}
			err := x.st.EndTaskApproval(context.WithoutCancel(ctx), a.AttemptID, record.ApprovalTimedOut, x.now())
			switch {
			case err == nil:
				return end(executor.TimedOut, fmt.Sprintf("not approved within %s", a.Timeout))
			case errors.Is(err, store.ErrConflict):
				continue // a decision came first: read it
			}
			// The store failed: try again on the next tick.
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// The run timed out around it.
				if err := x.st.EndTaskApproval(context.WithoutCancel(ctx), a.AttemptID, record.ApprovalTimedOut, x.now()); errors.Is(err, store.ErrConflict) {
					if ap, err := x.st.GetTaskApproval(context.WithoutCancel(ctx), a.AttemptID); err == nil && ap.State == record.ApprovalApproved {
						return x.decided(ctx, a, ap, end, &res)
					}
				}
				return end(executor.TimedOut, "the run timed out while waiting for approval")
			}
			return end(executor.Cancelled, "cancelled while waiting for approval")
		case <-kick:
		case <-tick.C:
		case <-timeout:
		}
	}
}

// decided ends the attempt as ap's decision says.
func (x *Executor) decided(ctx context.Context, a executor.Attempt, ap record.TaskApproval, end func(executor.Outcome, string) executor.Result, res *executor.Result) executor.Result {
	switch ap.State {
	case record.ApprovalApproved:
		res.ExitCode = 0
		res.Outputs = []record.Output{{Key: "approved_by", Value: strings.Join(ap.Approved, ",")}}
		r := end(executor.Succeeded, "")
		x.log(a, "approved by "+strings.Join(ap.Approved, ", "))
		return r
	case record.ApprovalRejected:
		by := "someone"
		if ds, err := x.st.ListTaskDecisions(context.WithoutCancel(ctx), a.AttemptID); err == nil {
			for _, d := range ds {
				if !d.Approve {
					by = d.Actor
				}
			}
		}
		msg := "rejected by " + by
		if ap.Reason != "" {
			msg += ": " + ap.Reason
		}
		return end(executor.Failed, msg)
	case record.ApprovalTimedOut:
		return end(executor.TimedOut, fmt.Sprintf("not approved within %s", a.Timeout))
	default:
		return end(executor.Cancelled, "approval "+string(ap.State))
	}
}

func waitingText(a executor.Attempt, ap record.TaskApproval) string {
	who := "anyone allowed to approve"
	if len(ap.Approvers) > 0 {
		who = strings.Join(ap.Approvers, ", ")
	}
	msg := fmt.Sprintf("waiting for %d approval(s) from %s", ap.Required, who)
	if len(ap.Approved) > 0 {
		msg += fmt.Sprintf("; approved so far by %s", strings.Join(ap.Approved, ", "))
	}
	if !ap.Deadline.IsZero() {
		msg += ", until " + ap.Deadline.UTC().Format(time.RFC3339)
	}
	return msg + fmt.Sprintf(": see gantry approvals %d; decide with gantry approve run %d %s", a.RunID, a.RunID, a.Task)
}

// log appends one line to the attempt's log and its follower.
func (x *Executor) log(a executor.Attempt, msg string) {
	if msg == "" {
		return
	}
	line := x.now().UTC().Format(time.RFC3339) + " " + msg + "\n"
	if a.LogPath != "" {
		_ = os.MkdirAll(filepath.Dir(a.LogPath), 0o700)
		if f, err := os.OpenFile(a.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
			_, _ = io.WriteString(f, line)
			_ = f.Close()
		}
	}
	if a.Follow != nil {
		_, _ = io.WriteString(a.Follow, a.Prefix+msg+"\n")
	}
}
