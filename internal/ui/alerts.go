package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// alertDeliveries is how many listed alerts show their deliveries inline.
const alertDeliveries = 50

type alertRow struct {
	record.Alert
	Deliveries []record.AlertDelivery
	SilencedBy int64
}

type testFireRow struct {
	record.TestFire
	Deliveries []record.AlertDelivery
}

type alertsPage struct {
	Pipeline  string
	Firing    []alertRow
	Resolved  []alertRow
	Silences  []record.Silence
	Routes    []string
	TestFires []testFireRow
	Matchers  string
}

func (p alertsPage) refresh() int { return 30 }

func (h *handler) alerts(w http.ResponseWriter, r *http.Request) {
	if h.Alerts == nil {
		h.fail(w, r, fmt.Errorf("%w: alerting is not enabled on this server", errNotFound))
		return
	}
	ctx := r.Context()
	page := alertsPage{Pipeline: strings.TrimSpace(r.URL.Query().Get("pipeline")), Routes: h.Routes()}
	if page.Pipeline != "" {
		page.Matchers = "pipeline=" + page.Pipeline
	}
	shown := 0
	for _, part := range []struct {
		state record.AlertState
		into  *[]alertRow
		limit int
	}{{record.AlertFiring, &page.Firing, 200}, {record.AlertResolved, &page.Resolved, 50}} {
		as, err := h.Alerts.ListAlerts(ctx, store.AlertFilter{State: part.state, Pipeline: page.Pipeline, Limit: part.limit})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, a := range as {
			row := alertRow{Alert: a}
			if shown < alertDeliveries {
				shown++
				_, ds, silenced, err := h.Alerts.GetAlert(ctx, a.ID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					h.fail(w, r, err)
					return
				}
				row.Deliveries, row.SilencedBy = ds, silenced
			}
			*part.into = append(*part.into, row)
		}
	}
	var err error
	if page.Silences, err = h.Alerts.ListSilences(ctx, store.SilenceFilter{ActiveAt: h.Now(), Limit: 100}); err != nil {
		h.fail(w, r, err)
		return
	}
	if h.Summaries != nil {
		tfs, err := h.Summaries.ListTestFires(ctx, store.TestFireFilter{Limit: 10})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, tf := range tfs {
			ds, err := h.Summaries.ListAlertDeliveries(ctx, store.AlertDeliveryFilter{TestFireID: tf.ID, Limit: 20})
			if err != nil {
				h.fail(w, r, err)
				return
			}
			page.TestFires = append(page.TestFires, testFireRow{TestFire: tf, Deliveries: ds})
		}
	}
	h.page(w, r, "alerts.html", "Alerts", "alerts", page)
}

type alertPage struct {
	A          record.Alert
	Deliveries []record.AlertDelivery
	SilencedBy int64
	Matchers   string
}

func (h *handler) alert(w http.ResponseWriter, r *http.Request) {
	if h.Alerts == nil {
		h.fail(w, r, fmt.Errorf("%w: alerting is not enabled on this server", errNotFound))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		h.fail(w, r, fmt.Errorf("%w: there is no alert %q", errNotFound, r.PathValue("id")))
		return
	}
	a, ds, silenced, err := h.Alerts.GetAlert(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, fmt.Errorf("%w: there is no alert %d", errNotFound, id))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m := "alertname=" + a.Name
	if a.Pipeline != "" {
		m += "\npipeline=" + a.Pipeline
	}
	h.page(w, r, "alert.html", a.Name, "alerts", alertPage{A: a, Deliveries: ds, SilencedBy: silenced, Matchers: m})
}
