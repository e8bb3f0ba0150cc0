package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxBundlesInFlight is how many bundle-sized requests (over MaxBodyBytes,
// or of unknown length) one route reads at once; another gets 429 at
// once, before its body is read. Each may hold MaxBundleBytes in memory.
const MaxBundlesInFlight = 2

// bundleRetryAfter is the Retry-After of a 429 for a bundle-sized request,
// in seconds: about how long reading and checking one takes.
const bundleRetryAfter = 5

// Error codes of a refused body.
const (
	CodeTooLarge = "too_large" // 413
	CodeBusy     = "busy"      // 429
)

// bundleRoutes take deploy-bundle-sized bodies (up to MaxBundleBytes), and
// only from a caller whose role has the permission given; every other
// route and caller may send MaxBodyBytes. A diff compares a bundle too, so
// a deployer checks what a deploy would do, but a viewer has no need to
// send megabytes.
var bundleRoutes = map[string]Permission{
	"POST /api/v1/deployments":           PermDeploy,
	"POST /api/v1/pipelines/{name}/diff": PermDeploy,
}

// bodyMetrics count the bundle-sized requests per route.
type bodyMetrics struct {
	inFlight *prometheus.GaugeVec
	refused  *prometheus.CounterVec
	tooLarge *prometheus.CounterVec
}

func newBodyMetrics(reg prometheus.Registerer, log *slog.Logger) *bodyMetrics {
	m := &bodyMetrics{
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "gantry", Subsystem: "api", Name: "bundle_requests_in_flight",
			Help: "Bundle-sized request bodies being read or handled, by route.",
		}, []string{"route"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gantry", Subsystem: "api", Name: "bundle_requests_refused_total",
			Help: "Bundle-sized requests answered 429 because the route had MaxBundlesInFlight already, by route.",
		}, []string{"route"}),
		tooLarge: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gantry", Subsystem: "api", Name: "request_bodies_too_large_total",
			Help: "Requests answered 413 because their body was over the route's limit for the caller, by route.",
		}, []string{"route"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.inFlight, m.refused, m.tooLarge} {
			if err := reg.Register(c); err != nil {
				// A second handler on one registry: its figures go uncounted
				// rather than the server failing to start.
				log.Warn("register api metrics", slog.Any(keyError, err))
			}
		}
	}
	return m
}

type bodyLimitKey struct{}

// bodyLimit is the limit a request's body is read under, and what to say
// when it is over.
type bodyLimit struct {
	limit int64
	hint  string
}

// limitBody runs serve with the body limited to what pattern allows the
// caller (authorize has run, so the principal is known). A body declared
// over the limit is 413 before it is read; a bundle-sized one waits for
// nothing: it takes one of the route's MaxBundlesInFlight slots or is
// 429 with Retry-After.
func (h *handler) limitBody(pattern string, serve http.HandlerFunc) http.HandlerFunc {
	need, bundle := bundleRoutes[pattern]
	slots := make(chan struct{}, MaxBundlesInFlight)
	return func(w http.ResponseWriter, r *http.Request) {
		lim := bodyLimit{limit: MaxBodyBytes}
		if bundle {
			if h.mayBundle(r, need) {
				lim = bodyLimit{limit: MaxBundleBytes}
			} else {
				lim.hint = "; a bundle this size needs role " + strings.Join(rolesWith(need), " or ")
			}
		}
		if r.ContentLength > lim.limit {
			h.tooLarge(w, r, pattern, lim)
			return
		}
		if lim.limit > MaxBodyBytes && (r.ContentLength < 0 || r.ContentLength > MaxBodyBytes) {
			select {
			case slots <- struct{}{}:
				g := h.body.inFlight.WithLabelValues(pattern)
				g.Inc()
				defer func() { g.Dec(); <-slots }()
			default:
				h.body.refused.WithLabelValues(pattern).Inc()
				w.Header().Set("Retry-After", strconv.Itoa(bundleRetryAfter))
				w.Header().Set("Connection", "close") // the unread body is not drained
				writeError(w, http.StatusTooManyRequests, CodeBusy, fmt.Sprintf(
					"the server is already reading %d bundle-sized requests on this route; retry in %ds",
					MaxBundlesInFlight, bundleRetryAfter), "")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, lim.limit)
		serve(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, lim)))
	}
}

// mayBundle reports whether the caller may send a bundle-sized body: any
// caller without an Authenticator, else one whose role grants need.
func (h *handler) mayBundle(r *http.Request, need Permission) bool {
	if h.auth == nil {
		return true
	}
	p, ok := PrincipalFrom(r.Context())
	return ok && RoleAllows(p.Role, need)
}

func (h *handler) tooLarge(w http.ResponseWriter, r *http.Request, pattern string, lim bodyLimit) {
	h.body.tooLarge.WithLabelValues(pattern).Inc()
	w.Header().Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, tooLargeMessage(lim), "")
}

func tooLargeMessage(lim bodyLimit) string {
	return fmt.Sprintf("request body is over %s%s", sizeText(lim.limit), lim.hint)
}

// sizeText is n bytes as a person reads it: "1 MiB", "64 KiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLargeError is a body that went over its limit while being read.
type tooLargeError struct{ msg string }

func (e *tooLargeError) Error() string { return e.msg }
