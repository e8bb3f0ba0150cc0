package manager

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// Grouping defaults at the top of the tree.
var (
	DefaultGroupBy        = []string{LabelAlertname, LabelPipeline, LabelEnv}
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// grouping is a route's spec.Grouping with every field resolved.
type grouping struct {
	by                     []string
	wait, interval, repeat time.Duration
}

func (g grouping) inherit(s spec.Grouping) grouping {
	if len(s.GroupBy) > 0 {
		g.by = s.GroupBy
	}
	if s.GroupWait > 0 {
		g.wait = s.GroupWait
	}
	if s.GroupInterval > 0 {
		g.interval = s.GroupInterval
	}
	if s.RepeatInterval > 0 {
		g.repeat = s.RepeatInterval
	}
	return g
}

// node is one route of the tree with what it inherits resolved: channels,
// on and grouping, when it leaves them empty, are its parent's.
type node struct {
	path     string // "data-oncall" for a named route, "data-oncall/0/1" for its second child's second child
	match    map[string]string
	channels []string
	on       []string // empty: all kinds but success and retry
	grouping grouping
	cont     bool
	children []*node
}

// tree is the routing tree of a project: named routes by name.
type tree struct {
	named map[string]*node
}

func buildTree(pa spec.ProjectAlerts) *tree {
	top := grouping{by: DefaultGroupBy, wait: DefaultGroupWait, interval: DefaultGroupInterval, repeat: DefaultRepeatInterval}
	top = top.inherit(pa.Grouping)
	t := &tree{named: map[string]*node{}}
	for _, r := range pa.Routes {
		t.named[r.Name] = buildNode(r, r.Name, nil, nil, top)
	}
	return t
}

func buildNode(r spec.Route, path string, channels, on []string, g grouping) *node {
	n := &node{path: path, match: r.Match, channels: channels, on: on, grouping: g.inherit(r.Grouping), cont: r.Continue}
	if len(r.Channels) > 0 {
		n.channels = r.Channels
	}
	if len(r.On) > 0 {
		n.on = r.On
	}
	for i, c := range r.Routes {
		n.children = append(n.children, buildNode(c, path+"/"+strconv.Itoa(i), n.channels, n.on, n.grouping))
	}
	return n
}

// route returns the routes an alert with labels (kind included) goes to:
// it enters at the named route of its route label; each child is tried in
// order and the first that takes it ends the search unless it says
// continue; when no child takes it, the route itself does if its on list
// has the alert's kind.
func (t *tree) route(labels map[string]string) []*node {
	n := t.named[labels[LabelRoute]]
	if n == nil {
		return nil
	}
	return n.walk(labels)
}

// walk follows the tree by match labels. A route's on list filters what
// it takes itself, not what its children see: a child with on: [retry]
// hears retries below a parent that does not.
func (n *node) walk(labels map[string]string) []*node {
	for k, v := range n.match {
		if labels[k] != v {
			return nil
		}
	}
	var out []*node
	for _, c := range n.children {
		got := c.walk(labels)
		out = append(out, got...)
		if len(got) > 0 && !c.cont {
			break
		}
	}
	if len(out) == 0 && wantsKind(n.on, labels[LabelKind]) {
		out = []*node{n}
	}
	return out
}

// wantsKind reports whether a route with on hears alerts of kind.
func wantsKind(on []string, kind string) bool {
	if len(on) == 0 {
		return kind != "success" && kind != "retry"
	}
	return slices.Contains(on, kind)
}

// all returns n and every route below it.
func (n *node) all() []*node {
	out := []*node{n}
	for _, c := range n.children {
		out = append(out, c.all()...)
	}
	return out
}

// find returns the route with that path.
func (t *tree) find(path string) *node {
	name, _, _ := strings.Cut(path, "/")
	if n := t.named[name]; n != nil {
		for _, x := range n.all() {
			if x.path == path {
				return x
			}
		}
	}
	return nil
}

// wants reports whether any route of the tree hears alerts of kind, so
// event alerts nobody listens to are not even recorded.
func (t *tree) wants(kind string) bool {
	for _, n := range t.named {
		for _, x := range n.all() {
			if slices.Contains(x.on, kind) {
				return true
			}
		}
	}
	return false
}

// groupKey is the key of the group an alert with labels joins at n, and
// the group's labels: n's path and the values of its group_by labels
// ("..." groups by every label).
func (n *node) groupKey(labels map[string]string) (string, map[string]string) {
	by := n.grouping.by
	if slices.Contains(by, "...") {
		by = nil
		for k := range labels {
			by = append(by, k)
		}
	}
	gl := map[string]string{}
	for _, k := range by {
		gl[k] = labels[k]
	}
	keys := make([]string, 0, len(gl))
	for k := range gl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(n.path)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + strconv.Quote(gl[k]))
	}
	b.WriteByte('}')
	return b.String(), gl
}
