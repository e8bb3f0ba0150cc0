package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// AlertService is what the alert routes serve; the alert manager
// implements it through the server.
type AlertService interface {
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]record.Alert, error)
	// GetAlert returns an alert and its deliveries, newest first, and the
	// active silence muting it (0 when none).
	GetAlert(ctx context.Context, id int64) (a record.Alert, ds []record.AlertDelivery, silencedBy int64, err error)
	// TestFire sends a marked test alert through every channel of route.
	TestFire(ctx context.Context, route, actor string) (record.TestFire, []record.AlertDelivery, error)
	// LastTestFire returns when route last had a test-fire every channel
	// took; ok is false when it never had one.
	LastTestFire(ctx context.Context, route string) (at time.Time, ok bool, err error)
	AddSilence(ctx context.Context, s record.Silence) (record.Silence, error)
	ListSilences(ctx context.Context, f store.SilenceFilter) ([]record.Silence, error)
	ExpireSilence(ctx context.Context, id int64, actor string) (record.Silence, error)
}

// errNoAlerts answers alert routes on a handler built without them.
var errNoAlerts = errors.New("alerting is not enabled on this server")

// AlertView is an alert as the API shows it.
type AlertView struct {
	ID          int64             `json:"id"`
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Kind        string            `json:"kind"`
	Pipeline    string            `json:"pipeline,omitempty"`
	Env         string            `json:"env,omitempty"`
	State       record.AlertState `json:"state"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"starts_at,omitzero"`
	EndsAt      time.Time         `json:"ends_at,omitzero"`
	UpdatedAt   time.Time         `json:"updated_at,omitzero"`
	RunID       int64             `json:"run_id,omitempty"`
	SilencedBy  int64             `json:"silenced_by,omitempty"` // the active silence muting it
	Deliveries  []DeliveryView    `json:"deliveries,omitempty"`
}

// AlertList is the body of GET /api/v1/alerts.
type AlertList struct {
	Alerts []AlertView `json:"alerts"`
}

// DeliveryView is one notification to one channel.
type DeliveryView struct {
	ID              int64              `json:"id"`
	Channel         string             `json:"channel"`
	Type            string             `json:"type"`
	Kind            string             `json:"kind"`
	OK              bool               `json:"ok"`
	Status          int                `json:"status,omitempty"`
	Attempts        int                `json:"attempts"`
	Error           string             `json:"error,omitempty"`
	At              time.Time          `json:"at,omitzero"`
	DurationSeconds float64            `json:"duration_seconds"`
	Alerts          []record.SentAlert `json:"alerts,omitempty"`
}

// SilenceView is a silence as the API shows it.
type SilenceView struct {
	ID        int64            `json:"id"`
	Matchers  []record.Matcher `json:"matchers"`
	CreatedBy string           `json:"created_by"`
	Reason    string           `json:"reason"`
	StartsAt  time.Time        `json:"starts_at,omitzero"`
	EndsAt    time.Time        `json:"ends_at,omitzero"`
	CreatedAt time.Time        `json:"created_at,omitzero"`
	ExpiredBy string           `json:"expired_by,omitempty"`
	Active    bool             `json:"active"`
}

// SilenceList is the body of GET /api/v1/silences.
type SilenceList struct {
	Silences []SilenceView `json:"silences"`
}

// SilenceRequest creates a silence.
type SilenceRequest struct {
	Matchers        []record.Matcher `json:"matchers"`
	DurationSeconds float64          `json:"duration_seconds"`
	Reason          string           `json:"reason"`
}

// TestFireRequest asks for a test alert through a route.
type TestFireRequest struct {
	Route string `json:"route"`
}

// TestFireView is the outcome of a test-fire.
type TestFireView struct {
	ID         int64          `json:"id"`
	Route      string         `json:"route"`
	Actor      string         `json:"actor"`
	At         time.Time      `json:"at,omitzero"`
	OK         bool           `json:"ok"`
	Channels   []string       `json:"channels"`
	Failed     []string       `json:"failed,omitempty"`
	Deliveries []DeliveryView `json:"deliveries"`
}

// LastTestFireView is the body of GET /api/v1/alerts/test?route=R: when
// the route last had a test-fire every channel took, which the readiness
// gate's alert-test-fire rule reads.
type LastTestFireView struct {
	Route string    `json:"route"`
	Found bool      `json:"found"`       // false when it never had one
	At    time.Time `json:"at,omitzero"` // set when found
}

// AlertQuery narrows GET /api/v1/alerts.
type AlertQuery struct {
	State    record.AlertState
	Pipeline string
	Limit    int
}

func newAlertView(a record.Alert, ds []record.AlertDelivery) AlertView {
	v := AlertView{
		ID: a.ID, Fingerprint: a.Fingerprint, Name: a.Name, Kind: a.Kind, Pipeline: a.Pipeline, Env: a.Env,
		State: a.State, Labels: a.Labels, Annotations: a.Annotations,
		StartsAt: utc(a.StartsAt), EndsAt: utc(a.EndsAt), UpdatedAt: utc(a.UpdatedAt), RunID: a.RunID,
	}
	if v.Labels == nil {
		v.Labels = map[string]string{}
	}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, newDeliveryView(d))
	}
	return v
}

func newDeliveryView(d record.AlertDelivery) DeliveryView {
	return DeliveryView{
		ID: d.ID, Channel: d.Channel, Type: d.Type, Kind: d.Kind, OK: d.OK, Status: d.Status,
		Attempts: d.Attempts, Error: d.Error, At: utc(d.At), DurationSeconds: d.Duration.Seconds(), Alerts: d.Alerts,
	}
}

func newSilenceView(s record.Silence, now time.Time) SilenceView {
	m := s.Matchers
	if m == nil {
		m = []record.Matcher{}
	}
	return SilenceView{
		ID: s.ID, Matchers: m, CreatedBy: s.CreatedBy, Reason: s.Reason, StartsAt: utc(s.StartsAt),
		EndsAt: utc(s.EndsAt), CreatedAt: utc(s.CreatedAt), ExpiredBy: s.ExpiredBy, Active: s.Active(now),
	}
}

func (h *handler) alertService(w http.ResponseWriter, r *http.Request) AlertService {
	if h.alerts == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, errNoAlerts.Error(), "")
	}
	return h.alerts
}

func (h *handler) listAlerts(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	v := r.URL.Query()
	f := store.AlertFilter{Pipeline: v.Get("pipeline"), Env: v.Get("env")}
	switch st := record.AlertState(v.Get("state")); st {
	case "", record.AlertFiring, record.AlertResolved:
		f.State = st
	default:
		h.fail(w, r, &FieldError{Field: "state", Msg: "must be firing or resolved"})
		return
	}
	limit, err := queryLimit(v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f.Limit = limit
	alerts, err := svc.ListAlerts(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := AlertList{Alerts: make([]AlertView, 0, len(alerts))}
	for _, a := range alerts {
		list.Alerts = append(list.Alerts, newAlertView(a, nil))
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) getAlert(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, ds, silencedBy, err := svc.GetAlert(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := newAlertView(a, ds)
	v.SilencedBy = silencedBy
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) testFire(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	var body TestFireRequest
	if err := decodeBody(w, r, &body, true); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Route == "" {
		h.fail(w, r, &FieldError{Field: "route", Msg: "is required"})
		return
	}
	tf, ds, err := svc.TestFire(r.Context(), body.Route, actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := TestFireView{ID: tf.ID, Route: tf.Route, Actor: tf.Actor, At: utc(tf.At), OK: tf.OK,
		Channels: tf.Channels, Failed: tf.Failed, Deliveries: []DeliveryView{}}
	if v.Channels == nil {
		v.Channels = []string{}
	}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, newDeliveryView(d))
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) lastTestFire(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	route := r.URL.Query().Get("route")
	if route == "" {
		h.fail(w, r, &FieldError{Field: "route", Msg: "is required"})
		return
	}
	at, ok, err := svc.LastTestFire(r.Context(), route)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, LastTestFireView{Route: route, Found: ok, At: utc(at)})
}

func (h *handler) listSilences(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	v := r.URL.Query()
	active, err := queryBool(v, "active")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := queryLimit(v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now()
	f := store.SilenceFilter{Limit: limit}
	if active {
		f.ActiveAt = now
	}
	ss, err := svc.ListSilences(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := SilenceList{Silences: make([]SilenceView, 0, len(ss))}
	for _, s := range ss {
		list.Silences = append(list.Silences, newSilenceView(s, now))
	}
	writeJSON(w, http.StatusOK, list)
}

var labelNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// MaxSilence is the longest a silence may last.
const MaxSilence = 30 * 24 * time.Hour

func (h *handler) addSilence(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	var body SilenceRequest
	if err := decodeBody(w, r, &body, true); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkSilence(body); err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now()
	s, err := svc.AddSilence(r.Context(), record.Silence{
		Matchers: body.Matchers, Reason: body.Reason, CreatedBy: actor(r),
		StartsAt: now, EndsAt: now.Add(time.Duration(body.DurationSeconds * float64(time.Second))),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newSilenceView(s, now))
}

// checkSilence refuses a silence that would match nothing in particular,
// last forever, or not say why.
func checkSilence(b SilenceRequest) error {
	if len(b.Matchers) == 0 {
		return &FieldError{Field: "matchers", Msg: "at least one matcher is required (a silence of everything is too easy to forget)"}
	}
	for _, m := range b.Matchers {
		if !labelNameRe.MatchString(m.Name) {
			return &FieldError{Field: "matchers", Msg: "invalid label name " + quote(m.Name)}
		}
		switch m.Op {
		case record.MatchEqual, record.MatchNotEqual:
		case record.MatchRegexp, record.MatchNotRegex:
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return &FieldError{Field: "matchers", Msg: "invalid regular expression " + quote(m.Value) + ": " + err.Error()}
			}
		default:
			return &FieldError{Field: "matchers", Msg: "op must be =, !=, =~ or !~, got " + quote(m.Op)}
		}
	}
	d := time.Duration(b.DurationSeconds * float64(time.Second))
	if d <= 0 || d > MaxSilence {
		return &FieldError{Field: "duration_seconds", Msg: "must be more than 0 and at most 30 days"}
	}
	if b.Reason == "" {
		return &FieldError{Field: "reason", Msg: "is required: say why, for whoever is paged next"}
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

func (h *handler) expireSilence(w http.ResponseWriter, r *http.Request) {
	svc := h.alertService(w, r)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, err := svc.ExpireSilence(r.Context(), id, actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newSilenceView(s, time.Now()))
}
