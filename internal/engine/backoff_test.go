package engine

import (
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		p    spec.Retries
		n    int
		r    float64
		want time.Duration
	}{
		{"default initial", spec.Retries{}, 1, 0.5, time.Second},
		{"exponential doubles", spec.Retries{Initial: time.Second}, 3, 0.5, 4 * time.Second},
		{"exponential capped", spec.Retries{Initial: time.Second, Max: 3 * time.Second}, 5, 0.5, 3 * time.Second},
		{"constant stays", spec.Retries{Backoff: "constant", Initial: 2 * time.Second}, 4, 0.5, 2 * time.Second},
		{"jitter low end", spec.Retries{Initial: 10 * time.Second, Jitter: 0.2}, 1, 0, 8 * time.Second},
		{"jitter high end", spec.Retries{Initial: 10 * time.Second, Jitter: 0.2}, 1, 1, 12 * time.Second},
		{"huge attempt number does not overflow", spec.Retries{Initial: time.Second, Max: time.Hour}, 200, 0.5, time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := backoff(c.p, c.n, c.r); got != c.want {
				t.Errorf("backoff(%+v, %d, %v) = %v, want %v", c.p, c.n, c.r, got, c.want)
			}
		})
	}
}
