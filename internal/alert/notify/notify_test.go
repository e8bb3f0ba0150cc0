package notify_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := notify.Policy{Initial: time.Second, Max: 10 * time.Second}
	for _, tc := range []struct {
		name       string
		n          int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"first failure waits initial", 1, 0, time.Second},
		{"doubles", 3, 0, 4 * time.Second},
		{"capped at max", 10, 0, 10 * time.Second},
		{"retry-after longer than back-off wins", 1, 7 * time.Second, 7 * time.Second},
		{"retry-after shorter than back-off is ignored", 3, time.Second, 4 * time.Second},
		{"retry-after capped at max", 1, time.Hour, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Backoff(tc.n, tc.retryAfter); got != tc.want {
				t.Errorf("Backoff(%d, %s) = %s, want %s", tc.n, tc.retryAfter, got, tc.want)
			}
		})
	}
}

func TestDeliverOverHTTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		replies   []notifytest.Reply
		down      bool
		want      alert.Result
		wantWaits []time.Duration
		wantErr   string
	}{
		{
			name:      "503 then 200 is retried and succeeds",
			replies:   []notifytest.Reply{{Status: 503}, {Status: 200}},
			want:      alert.Result{OK: true, Status: 200, Attempts: 2},
			wantWaits: []time.Duration{time.Second},
		},
		{
			name:    "400 is not retried",
			replies: []notifytest.Reply{{Status: 400, Body: "invalid_payload"}},
			want:    alert.Result{Status: 400, Attempts: 1},
			wantErr: "HTTP 400: invalid_payload",
		},
		{
			name:      "500 every time runs out of attempts",
			replies:   []notifytest.Reply{{Status: 500}},
			want:      alert.Result{Status: 500, Attempts: 3, Retryable: true},
			wantWaits: []time.Duration{time.Second, 2 * time.Second},
			wantErr:   "HTTP 500",
		},
		{
			name:      "429 honours Retry-After",
			replies:   []notifytest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "7"}}, {Status: 204}},
			want:      alert.Result{OK: true, Status: 204, Attempts: 2},
			wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name:    "a redirect is not followed",
			replies: []notifytest.Reply{{Status: 302, Header: map[string]string{"Location": "http://elsewhere.invalid/"}}},
			want:    alert.Result{Status: 302, Attempts: 1},
			wantErr: "HTTP 302",
		},
		{
			name:      "a receiver that is down is retried and the failure kept",
			down:      true,
			want:      alert.Result{Attempts: 3, Retryable: true},
			wantWaits: []time.Duration{time.Second, 2 * time.Second},
			wantErr:   "connection refused",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := "http://" + notifytest.ClosedAddr(t) + "/hook"
			var rcv *notifytest.Receiver
			if !tc.down {
				rcv = notifytest.NewReceiver(t, tc.replies...)
				url = rcv.URL + "/hook"
			}
			var sleeps notifytest.Sleeps
			p := notify.Policy{Sleep: sleeps.Sleep}
			got := notify.Deliver(t.Context(), p, nil, func(ctx context.Context) notify.Attempt {
				return notify.Post(ctx, notify.NewClient(), url, http.Header{}, []byte(`{}`))
			})
			if !strings.Contains(got.Err, tc.wantErr) || (tc.wantErr == "") != got.OK {
				t.Errorf("Err = %q, want it to contain %q", got.Err, tc.wantErr)
			}
			got.Err, got.Duration = "", 0
			if got != tc.want {
				t.Errorf("Result = %+v, want %+v", got, tc.want)
			}
			if w := sleeps.Waits(); !slices.Equal(w, tc.wantWaits) {
				t.Errorf("waits = %v, want %v", w, tc.wantWaits)
			}
			if rcv != nil && len(rcv.Requests()) != tc.want.Attempts {
				t.Errorf("receiver saw %d requests, want %d", len(rcv.Requests()), tc.want.Attempts)
			}
		})
	}
}

func TestDeliverTimesOutEachAttempt(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, notifytest.Reply{Hang: true})
	var sleeps notifytest.Sleeps
	p := notify.Policy{Attempts: 2, Timeout: 50 * time.Millisecond, Sleep: sleeps.Sleep}
	got := notify.Deliver(t.Context(), p, nil, func(ctx context.Context) notify.Attempt {
		return notify.Post(ctx, notify.NewClient(), rcv.URL, nil, nil)
	})
	if got.OK || got.Attempts != 2 || !got.Retryable || !strings.Contains(got.Err, "timed out after 50ms") {
		t.Errorf("Result = %+v, want 2 timed-out attempts, retryable", got)
	}
}

func TestDeliverStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	p := notify.Policy{Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	tries := 0
	got := notify.Deliver(ctx, p, nil, func(context.Context) notify.Attempt {
		tries++
		return notify.Attempt{Status: 503, Err: context.DeadlineExceeded, Retryable: true}
	})
	if tries != 1 || got.Attempts != 1 || !strings.Contains(got.Err, "gave up: context canceled") {
		t.Errorf("tries = %d, Result = %+v; want one attempt and the cancellation named", tries, got)
	}
}

func TestErrorsNeverQuoteTheURL(t *testing.T) {
	t.Parallel()
	const token = "T0KEN-in-the-path"
	url := "http://" + notifytest.ClosedAddr(t) + "/services/" + token
	p := notify.Policy{Attempts: 1}
	got := notify.Deliver(t.Context(), p, alert.NewRedactor(), func(ctx context.Context) notify.Attempt {
		return notify.Post(ctx, notify.NewClient(), url, nil, nil)
	})
	if got.OK || got.Err == "" || strings.Contains(got.Err, token) {
		t.Errorf("Err = %q, want a failure that does not quote the URL", got.Err)
	}
}

func TestErrorsAreRedacted(t *testing.T) {
	t.Parallel()
	rcv := notifytest.NewReceiver(t, notifytest.Reply{Status: 401, Body: "bad key s3cr3t-key"})
	got := notify.Deliver(t.Context(), notify.Policy{}, alert.NewRedactor("s3cr3t-key"), func(ctx context.Context) notify.Attempt {
		return notify.Post(ctx, notify.NewClient(), rcv.URL, nil, nil)
	})
	if got.Err != "HTTP 401: bad key <redacted>" || got.Retryable || got.Attempts != 1 {
		t.Errorf("Result = %+v, want the echoed key redacted and no retry", got)
	}
}
