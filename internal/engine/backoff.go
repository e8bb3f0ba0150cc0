package engine

import (
	"math"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// defaultInitial is the first back-off wait when a pipeline sets none.
const defaultInitial = time.Second

// backoff returns how long to wait after the failed attempt number n
// (1-based) before the next one. r is a random number in [0, 1) used for
// jitter.
func backoff(p spec.Retries, n int, r float64) time.Duration {
	d := p.Initial
	if d <= 0 {
		d = defaultInitial
	}
	if p.Backoff != "constant" && n > 1 {
		f := float64(d) * math.Pow(2, float64(n-1))
		if f > math.MaxInt64/2 {
			f = math.MaxInt64 / 2
		}
		d = time.Duration(f)
	}
	if p.Max > 0 && d > p.Max {
		d = p.Max
	}
	if p.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + p.Jitter*(2*r-1)))
	}
	if d < 0 {
		d = 0
	}
	return d
}
