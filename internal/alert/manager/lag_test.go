package manager_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// hourly is a pipeline scheduled at the top of every hour, UTC.
func hourly() *spec.Pipeline {
	p := pipeline("orders", "oncall")
	p.Schedule = &spec.Schedule{Cron: "0 * * * *", Location: time.UTC}
	return p
}

// queueScheduled records a scheduled run for the hour ending at end,
// still queued.
func queueScheduled(h *harness, end time.Time) record.Run {
	h.t.Helper()
	r := record.Run{Pipeline: "orders", Env: "prod", Trigger: record.TriggerSchedule, State: record.RunQueued,
		IntervalStart: end.Add(-time.Hour), IntervalEnd: end, CreatedAt: end}
	if err := h.st.CreateRun(h.t.Context(), &r, []string{"load"}); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestSchedulerLag(t *testing.T) {
	t.Parallel()
	tick := t0.Truncate(time.Hour) // t0 is on the hour: a tick

	t.Run("no run for a due interval", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, quiet(), manager.Target{Pipeline: hourly(), Env: "prod", Since: tick.Add(-2 * time.Hour)})
		h.clock.Set(tick.Add(4 * time.Minute))
		next := h.eval()
		if len(h.firing()) != 0 {
			t.Fatalf("firing %v within scheduler_lag", h.firing())
		}
		if want := tick.Add(manager.DefaultSchedulerLag); next.Before(want) || next.After(want.Add(time.Millisecond)) {
			t.Fatalf("next wake-up %v, want when the lag passes the threshold, %v", next, want)
		}
		h.clock.Set(next)
		h.eval()
		if got := h.firing(); !slices.Equal(got, []string{manager.NameSchedulerLagging}) {
			t.Fatalf("firing %v, want SchedulerLagging", got)
		}
	})

	t.Run("a queued run that does not start", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, quiet(), manager.Target{Pipeline: hourly(), Env: "prod", Since: tick.Add(-2 * time.Hour)})
		queueScheduled(h, tick)
		h.clock.Set(tick.Add(10 * time.Minute))
		h.eval()
		if got := h.firing(); !slices.Equal(got, []string{manager.NameSchedulerLagging}) {
			t.Fatalf("firing %v, want SchedulerLagging", got)
		}
	})

	t.Run("a catch-up of what fell due before it was deployed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, quiet(), manager.Target{Pipeline: hourly(), Env: "prod", Since: tick.Add(30 * time.Minute)})
		queueScheduled(h, tick)
		h.clock.Set(tick.Add(31 * time.Minute))
		h.eval()
		if len(h.firing()) != 0 {
			t.Fatalf("firing %v for an interval that fell due before the pipeline was deployed", h.firing())
		}
	})
}
