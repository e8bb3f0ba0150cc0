package deploy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// RiskRouting is the named class of a change to gantry.yaml's alerting:
// its channels, routes, grouping or suppressions. It is not a rung of
// the L1..L4 ladder (a gantry.yaml change is L4 already) but is named on
// its own because it decides who is paged: a deployment of it to a
// production environment test-fires the routes it changes first.
const RiskRouting = "routing"

// GateTestFire is the gate of a routing change into production: every
// channel of each route it changes took a test alert, sent through the
// deployed configuration, when the deployment was made.
const GateTestFire = "test_fire"

// compareRouting adds the routing change between two gantry.yaml files,
// if any, and records the routes it touches in d.Routes. A route is
// touched when it is new or its tree changed, or a channel it reaches
// did.
func compareRouting(d *Diff, from, to []byte) {
	oldA, newA := alertsOf(from), alertsOf(to)
	if oldA == nil || newA == nil || reflect.DeepEqual(oldA, newA) {
		return
	}
	oldRoutes := map[string]spec.Route{}
	for _, r := range oldA.Routes {
		oldRoutes[r.Name] = r
	}
	changedChannels := map[string]bool{}
	for _, c := range newA.Channels {
		i := slices.IndexFunc(oldA.Channels, func(o spec.Channel) bool { return o.Name == c.Name })
		if i < 0 || !reflect.DeepEqual(oldA.Channels[i], c) {
			changedChannels[c.Name] = true
		}
	}
	sameDefaults := reflect.DeepEqual(oldA.Grouping, newA.Grouping)
	for _, r := range newA.Routes {
		old, ok := oldRoutes[r.Name]
		switch {
		case !ok:
			d.Routes = append(d.Routes, r.Name)
		case !reflect.DeepEqual(old, r) || !sameDefaults || reaches(r, changedChannels):
			d.Routes = append(d.Routes, r.Name)
		}
	}
	text := "alerting in gantry.yaml changed"
	if len(d.Routes) > 0 {
		text = fmt.Sprintf("alert routes changed: %s (test-fired before production)", strings.Join(d.Routes, ", "))
	}
	d.Changes = append(d.Changes, Change{Class: RiskRouting, Text: text})
}

// alertsOf is the alerting of a gantry.yaml, without what only says
// where it was written; nil when it does not parse.
func alertsOf(data []byte) *spec.ProjectAlerts {
	if data == nil {
		return &spec.ProjectAlerts{}
	}
	p, err := spec.ParseProject(spec.ProjectFile, data)
	if err != nil {
		return nil
	}
	return &p.Alerts
}

// reaches reports whether route r or a route below it sends to one of
// channels.
func reaches(r spec.Route, channels map[string]bool) bool {
	for _, c := range r.Channels {
		if channels[c] {
			return true
		}
	}
	return slices.ContainsFunc(r.Routes, func(c spec.Route) bool { return reaches(c, channels) })
}
