package ui

import (
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
)

// verdict is a judgement shown in words and colour: Class picks the
// colour (ok, warn, bad, none), Text says it.
type verdict struct {
	Class, Text string
}

// freshness judges the age of a pipeline's data: now minus the end of
// its newest succeeded interval, against sla.freshness (at risk past 80%
// of it).
func freshness(p *spec.Pipeline, lastOK, now time.Time) verdict {
	var limit time.Duration
	if p != nil {
		limit = p.SLA.Freshness
	}
	if lastOK.IsZero() {
		if limit > 0 {
			return verdict{"bad", "no data yet"}
		}
		return verdict{"none", "no data yet"}
	}
	age := max(now.Sub(lastOK), 0)
	switch {
	case limit <= 0:
		return verdict{"none", humanDuration(age) + " old"}
	case age > limit:
		return verdict{"bad", fmt.Sprintf("stale: %s old, SLA %s", humanDuration(age), humanDuration(limit))}
	case age > limit*4/5:
		return verdict{"warn", fmt.Sprintf("at risk: %s old, SLA %s", humanDuration(age), humanDuration(limit))}
	}
	return verdict{"ok", fmt.Sprintf("fresh: %s old, SLA %s", humanDuration(age), humanDuration(limit))}
}

// todaysSLA judges today's sla.deadline: met when the interval due by
// the deadline has succeeded, missed when the deadline passed without it,
// at risk while it has not and the deadline is ahead, pending while that
// interval has not even ended.
func todaysSLA(p *spec.Pipeline, lastOK, now time.Time) verdict {
	if p == nil || p.SLA.Deadline == "" || p.Schedule == nil || p.Schedule.Cron == "" {
		return verdict{"none", "no deadline"}
	}
	loc := p.Schedule.Location
	if loc == nil {
		loc = time.UTC
	}
	var hh, mm int
	if _, err := fmt.Sscanf(p.SLA.Deadline, "%d:%d", &hh, &mm); err != nil {
		return verdict{"none", "no deadline"}
	}
	s, err := schedule.New(p.Schedule.Cron, loc)
	if err != nil {
		return verdict{"none", "no deadline"}
	}
	local := now.In(loc)
	deadline := time.Date(local.Year(), local.Month(), local.Day(), hh, mm, 0, 0, loc)
	tick := s.Prev(deadline.Add(-time.Nanosecond))
	if tick.IsZero() {
		return verdict{"none", "nothing due today"}
	}
	due := s.IntervalEndingAt(tick)
	switch {
	case !lastOK.Before(due.End):
		return verdict{"ok", "met (due " + p.SLA.Deadline + ")"}
	case now.Before(due.End):
		return verdict{"none", "pending: its interval ends " + due.End.In(loc).Format("15:04") + ", due " + p.SLA.Deadline}
	case now.Before(deadline):
		return verdict{"warn", "at risk: not done, due " + p.SLA.Deadline}
	}
	return verdict{"bad", "missed: due " + p.SLA.Deadline}
}
