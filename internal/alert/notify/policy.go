package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
)

// Defaults for a zero Policy.
const (
	DefaultAttempts = 3
	DefaultTimeout  = 10 * time.Second
	DefaultInitial  = time.Second
	DefaultMax      = 30 * time.Second
)

// Policy says how a channel times out and retries. A zero field means its
// default.
type Policy struct {
	Attempts int           // total tries, the first included
	Timeout  time.Duration // per attempt
	Initial  time.Duration // wait after the first failure; doubles each time
	Max      time.Duration // longest single wait
	// Sleep waits for d or until ctx is done, returning ctx's error then.
	// Nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Initial <= 0 {
		p.Initial = DefaultInitial
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

// Backoff returns the wait after failed attempt n (1-based) when the
// receiver asked for retryAfter (0: it did not).
func (p Policy) Backoff(n int, retryAfter time.Duration) time.Duration {
	p = p.withDefaults()
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = max(d, retryAfter)
	return min(d, p.Max)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Attempt is the outcome of one try.
type Attempt struct {
	Status     int   // HTTP status or SMTP reply code; 0 when none came back
	Err        error // nil: delivered
	Retryable  bool  // Err is transient
	RetryAfter time.Duration
}

// Deliver calls try under p until it succeeds, fails permanently or runs
// out of attempts, and reports the outcome. Error text goes through redact.
// The caller fills in Result.Channel and Result.Type.
func Deliver(ctx context.Context, p Policy, redact alert.Redactor, try func(context.Context) Attempt) alert.Result {
	p = p.withDefaults()
	start := time.Now()
	var res alert.Result
	var last Attempt
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, p.Timeout)
		last = try(actx)
		cancel()
		res.Attempts = n
		if last.Err != nil && errors.Is(last.Err, context.DeadlineExceeded) && ctx.Err() == nil {
			last.Err = fmt.Errorf("attempt timed out after %s", p.Timeout)
			last.Retryable = true
		}
		if last.Err == nil || !last.Retryable || n >= p.Attempts || ctx.Err() != nil {
			break
		}
		if err := p.Sleep(ctx, p.Backoff(n, last.RetryAfter)); err != nil {
			break
		}
	}
	res.Duration = time.Since(start)
	res.Status = last.Status
	res.OK = last.Err == nil
	if !res.OK {
		msg := last.Err.Error()
		if err := ctx.Err(); err != nil {
			msg += fmt.Sprintf(" (gave up: %v)", err)
		}
		if redact != nil {
			msg = redact(msg)
		}
		res.Err = msg
		res.Retryable = last.Retryable
	}
	return res
}
