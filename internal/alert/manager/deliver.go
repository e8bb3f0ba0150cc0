package manager

import (
	"context"
	"errors"
	"fmt"
	"github.com/gantryhq/gantry/internal/alert/routing"
	"slices"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// group is an alert group during one evaluation.
type group struct {
	rec     record.AlertGroup
	node    *routing.Node // nil when its route no longer exists
	members map[string]bool
	dirty   bool
}

// deliver routes the firing alerts into groups and flushes the groups that
// are due. It returns the earliest next flush.
func (m *Manager) deliver(ctx context.Context, e *eval, firing map[string]record.Alert, chans map[string]channel) (time.Time, error) {
	recs, err := m.cfg.Store.ListAlertGroups(ctx)
	if err != nil {
		return e.now.Add(m.cfg.Poll), fmt.Errorf("list alert groups: %w", err)
	}
	groups := map[string]*group{}
	for _, r := range recs {
		groups[r.Key] = &group{rec: r, node: e.tree.Find(r.Route), members: map[string]bool{}}
	}
	routed := map[string][]*group{} // fingerprint → its groups
	for _, fp := range sortedKeys(firing) {
		a := firing[fp]
		for _, n := range e.tree.Route(labelsOf(a)) {
			if len(n.Channels) == 0 {
				continue // nothing to send to: no group
			}
			key, gl := n.GroupKey(labelsOf(a))
			g := groups[key]
			if g == nil {
				g = &group{rec: record.AlertGroup{Key: key, Route: n.Path, Labels: gl, CreatedAt: e.now,
					NextFlushAt: e.now.Add(n.Grouping.Wait)}, node: n, members: map[string]bool{}, dirty: true}
				groups[key] = g
			}
			g.members[fp] = true
			routed[fp] = append(routed[fp], g)
		}
	}
	active, err := m.cfg.Store.ListSilences(ctx, store.SilenceFilter{ActiveAt: e.now, Limit: -1})
	if err != nil {
		return e.now.Add(m.cfg.Poll), fmt.Errorf("list silences: %w", err)
	}
	silences := compileSilences(active)
	next := e.now.Add(m.cfg.Poll)
	var errs []error
	for _, key := range sortedKeys(groups) {
		g := groups[key]
		if !g.rec.NextFlushAt.After(e.now) {
			if err := m.flush(ctx, e, g, firing, silences, chans); err != nil {
				errs = append(errs, err)
			}
		}
		if g.dirty {
			if err := m.cfg.Store.SaveAlertGroup(ctx, &g.rec, nil); err != nil {
				errs = append(errs, err)
			}
		}
		if g.rec.NextFlushAt.Before(next) && g.rec.Key != "" {
			next = g.rec.NextFlushAt
		}
	}
	if err := m.resolveEvents(ctx, e, firing, routed, silences); err != nil {
		errs = append(errs, err)
	}
	return next, errors.Join(errs...)
}

// flush sends each channel of g what changed since it was last told, or
// everything again once repeat_interval has passed, then schedules the
// next look a group_interval later. A channel whose delivery failed keeps
// its old state, so the next flush tries it again. A group with nothing
// firing and nothing left to resolve is deleted.
func (m *Manager) flush(ctx context.Context, e *eval, g *group, firing map[string]record.Alert, silences silenceSet, chans map[string]channel) error {
	n := g.node
	if n == nil { // its route is gone: nothing to send it to
		key := g.rec.Key
		g.rec.Key, g.dirty = "", false
		return m.cfg.Store.DeleteAlertGroup(ctx, key)
	}
	lookup := func(fp string) (record.Alert, bool) {
		if a, ok := firing[fp]; ok {
			return a, true
		}
		a, err := m.cfg.Store.GetAlertByFingerprint(ctx, fp)
		return a, err == nil
	}
	states := map[string]record.ChannelState{}
	for _, cs := range g.rec.Channels {
		states[cs.Channel] = cs
	}
	type job struct {
		state  record.ChannelState
		alerts []record.Alert
		sent   []record.SentAlert
	}
	var jobs []job
	var keep []record.ChannelState
	for _, name := range n.Channels {
		cs := states[name]
		cs.Channel = name
		var out []record.Alert
		var sent, still []record.SentAlert
		prev := map[string]bool{}
		for _, s := range cs.Sent {
			prev[s.Fingerprint] = s.State == record.AlertFiring
		}
		changed := false
		for _, fp := range sortedKeys(g.members) {
			a := firing[fp]
			if silences.silencedBy(labelsOf(a)) != 0 {
				if prev[fp] {
					still = append(still, record.SentAlert{Fingerprint: fp, State: record.AlertFiring})
				}
				continue
			}
			out = append(out, a)
			sent = append(sent, record.SentAlert{Fingerprint: fp, State: record.AlertFiring})
			changed = changed || !prev[fp]
		}
		for _, s := range cs.Sent {
			if s.State != record.AlertFiring || g.members[s.Fingerprint] {
				continue
			}
			a, ok := lookup(s.Fingerprint)
			switch {
			case !ok || isEvent(a.Kind) || a.State == record.AlertFiring:
				// Gone, an event (no resolve), or firing elsewhere: forget it.
			case silences.silencedBy(labelsOf(a)) != 0:
				still = append(still, s)
			default:
				a.State = record.AlertResolved
				out = append(out, a)
				changed = true
			}
		}
		anyFiring := len(sent) > 0
		repeat := anyFiring && !e.now.Before(cs.LastNotifiedAt.Add(n.Grouping.Repeat))
		if len(out) == 0 || (!changed && !repeat) {
			cs.Sent = append(sent, still...)
			if len(cs.Sent) > 0 {
				keep = append(keep, cs)
			}
			continue
		}
		jobs = append(jobs, job{state: cs, alerts: out, sent: append(sent, still...)})
	}

	if len(jobs) > 0 {
		// The group as it stands, saved before anything is sent: under the
		// leader's fence (store.WithFence) this fails with store.ErrFenced,
		// and nothing pages, once this process no longer leads.
		if err := m.cfg.Store.SaveAlertGroup(ctx, &g.rec, nil); err != nil {
			return err
		}
	}
	results := make([]alert.Result, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = m.send(ctx, chans[j.state.Channel], j.state.Channel, j.alerts)
		}()
	}
	wg.Wait()

	var ds []*record.AlertDelivery
	for i, j := range jobs {
		res := results[i]
		ds = append(ds, m.delivery(res, j.alerts, e.now))
		cs := j.state
		if res.OK {
			cs.Sent, cs.LastNotifiedAt = j.sent, e.now
		} else {
			m.log.Warn("alert delivery failed", "channel", res.Channel, "group", g.rec.Key, "attempts", res.Attempts, "err", res.Err)
		}
		if len(cs.Sent) > 0 || !res.OK {
			keep = append(keep, cs)
		}
	}
	slices.SortFunc(keep, func(a, b record.ChannelState) int { return compareStrings(a.Channel, b.Channel) })
	g.rec.Channels = keep
	g.rec.NextFlushAt = e.now.Add(n.Grouping.Interval)
	g.dirty = false
	if len(g.members) == 0 && len(keep) == 0 {
		if len(ds) > 0 {
			if err := m.cfg.Store.SaveAlertGroup(ctx, &g.rec, ds); err != nil {
				return err
			}
		}
		key := g.rec.Key
		g.rec.Key = ""
		return m.cfg.Store.DeleteAlertGroup(ctx, key)
	}
	return m.cfg.Store.SaveAlertGroup(ctx, &g.rec, ds)
}

// send delivers alerts to one channel.
func (m *Manager) send(ctx context.Context, ch channel, name string, alerts []record.Alert) alert.Result {
	if ch.n == nil {
		err := ch.err
		if err == nil {
			err = fmt.Errorf("channel %s is not declared in gantry.yaml", name)
		}
		return alert.Result{Channel: name, Type: ch.typ, Err: err.Error()}
	}
	out := make([]alert.Alert, len(alerts))
	for i, a := range alerts {
		out[i] = toAlert(a, a.State)
	}
	res := ch.n.Notify(ctx, out)
	if res.Channel == "" {
		res.Channel = name
	}
	return res
}

// delivery is the record of one notification.
func (m *Manager) delivery(res alert.Result, alerts []record.Alert, at time.Time) *record.AlertDelivery {
	d := &record.AlertDelivery{Channel: res.Channel, Type: res.Type, Kind: record.DeliveryResolved, OK: res.OK,
		Status: res.Status, Attempts: res.Attempts, Error: m.redactor()(res.Err), Retryable: res.Retryable,
		At: at, Duration: res.Duration}
	for _, a := range alerts {
		if a.State == record.AlertFiring {
			d.Kind = record.DeliveryFiring
		}
		d.Alerts = append(d.Alerts, record.SentAlert{Fingerprint: a.Fingerprint, State: a.State})
	}
	return d
}

// resolveEvents ends event alerts once every channel of every group they
// joined has them, or nothing would ever send them (no route, silenced);
// a day at most.
func (m *Manager) resolveEvents(ctx context.Context, e *eval, firing map[string]record.Alert, routed map[string][]*group, silences silenceSet) error {
	for _, fp := range sortedKeys(firing) {
		a := firing[fp]
		if !isEvent(a.Kind) {
			continue
		}
		done := silences.silencedBy(labelsOf(a)) != 0 || e.now.Sub(a.StartsAt) > 24*time.Hour
		if !done {
			done = true
			for _, g := range routed[fp] {
				if g.node != nil && !sentToAll(g, fp) {
					done = false
				}
			}
		}
		if done {
			if err := m.resolve(ctx, &a, e.now); err != nil {
				return err
			}
		}
	}
	return nil
}

func sentToAll(g *group, fp string) bool {
	for _, name := range g.node.Channels {
		i := slices.IndexFunc(g.rec.Channels, func(cs record.ChannelState) bool { return cs.Channel == name })
		if i < 0 || !slices.ContainsFunc(g.rec.Channels[i].Sent, func(s record.SentAlert) bool { return s.Fingerprint == fp }) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
