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

// Alert history older than alerts.retention is pruned; a firing alert is
// not, however old.
func TestPruneKeepsWhatMatters(t *testing.T) {
	t.Parallel()
	p := quiet()
	p.Alerts.Retention = 48 * time.Hour
	h := newHarness(t, p, manager.Target{Pipeline: pipeline("orders", "oncall"), Env: "prod"})
	h.run("orders", "prod", record.RunFailed, t0, t0.Add(time.Minute), att{task: "load", state: record.TaskFailed, err: "exit status 1"})
	h.at(2 * time.Minute)
	h.run("orders", "prod", record.RunSucceeded, t0.Add(time.Hour), t0.Add(time.Hour+time.Minute), att{task: "load", state: record.TaskSucceeded})
	h.at(time.Hour + 2*time.Minute) // RunFailed resolves; the dead letter keeps its alert firing
	firingBefore := h.firing()

	if _, err := h.m.Prune(t.Context(), t0.Add(47*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(h.alerts()); n != 2 {
		t.Fatalf("%d alerts within retention, want both kept", n)
	}
	if _, err := h.m.Prune(t.Context(), t0.Add(50*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := h.alerts(); len(got) != 1 || got[0].State != record.AlertFiring || !slices.Equal(h.firing(), firingBefore) {
		t.Errorf("after retention: %+v, want only the firing alert", got)
	}
}
