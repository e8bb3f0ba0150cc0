package routing

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// Label names routing reads.
const (
	LabelRoute = "route" // the named route an alert enters the tree at
	LabelKind  = "kind"  // the alert's kind, see spec.AlertKinds
)

// Grouping defaults at the top of the tree.
var (
	DefaultGroupBy        = []string{"alertname", "pipeline", "env"}
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// Grouping is a route's spec.Grouping with every field resolved.
type Grouping struct {
	By                     []string
	Wait, Interval, Repeat time.Duration
}

func (g Grouping) inherit(s spec.Grouping) Grouping {
	if len(s.GroupBy) > 0 {
		g.By = s.GroupBy
	}
	if s.GroupWait > 0 {
		g.Wait = s.GroupWait
	}
	if s.GroupInterval > 0 {
		g.Interval = s.GroupInterval
	}
	if s.RepeatInterval > 0 {
		g.Repeat = s.RepeatInterval
	}
	return g
}

// Node is one route of the tree with what it inherits resolved: channels,
// on and grouping, when it leaves them empty, are its parent's.
type Node struct {
	Path     string // "data-oncall" for a named route, "data-oncall/0/1" for its second child's second child
	Match    map[string]string
	Channels []string
	On       []string // empty: all kinds but success and retry
	Grouping Grouping
	Continue bool
	Children []*Node
}

// Tree is the routing tree of a project: named routes by name.
type Tree struct {
	named map[string]*Node
}

// New builds the routing tree of a project's alert configuration.
func New(pa spec.ProjectAlerts) *Tree {
	top := Grouping{By: DefaultGroupBy, Wait: DefaultGroupWait, Interval: DefaultGroupInterval, Repeat: DefaultRepeatInterval}
	top = top.inherit(pa.Grouping)
	t := &Tree{named: map[string]*Node{}}
	for _, r := range pa.Routes {
		t.named[r.Name] = newNode(r, r.Name, nil, nil, top)
	}
	return t
}

func newNode(r spec.Route, path string, channels, on []string, g Grouping) *Node {
	n := &Node{Path: path, Match: r.Match, Channels: channels, On: on, Grouping: g.inherit(r.Grouping), Continue: r.Continue}
	if len(r.Channels) > 0 {
		n.Channels = r.Channels
	}
	if len(r.On) > 0 {
		n.On = r.On
	}
	for i, c := range r.Routes {
		n.Children = append(n.Children, newNode(c, path+"/"+strconv.Itoa(i), n.Channels, n.On, n.Grouping))
	}
	return n
}

// Named returns the named route, or nil.
func (t *Tree) Named(name string) *Node { return t.named[name] }

// Route returns the routes an alert with labels (kind included) goes to:
// it enters at the named route of its route label; each child is tried in
// order and the first that takes it ends the search unless it says
// continue; when no child takes it, the route itself does if its on list
// has the alert's kind.
func (t *Tree) Route(labels map[string]string) []*Node {
	n := t.named[labels[LabelRoute]]
	if n == nil {
		return nil
	}
	return n.walk(labels)
}

// walk follows the tree by match labels. A route's on list filters what
// it takes itself, not what its children see: a child with on: [retry]
// hears retries below a parent that does not.
func (n *Node) walk(labels map[string]string) []*Node {
	for k, v := range n.Match {
		if labels[k] != v {
			return nil
		}
	}
	var out []*Node
	for _, c := range n.Children {
		got := c.walk(labels)
		out = append(out, got...)
		if len(got) > 0 && !c.Continue {
			break
		}
	}
	if len(out) == 0 && WantsKind(n.On, labels[LabelKind]) {
		out = []*Node{n}
	}
	return out
}

// WantsKind reports whether a route with on hears alerts of kind.
func WantsKind(on []string, kind string) bool {
	if len(on) == 0 {
		return kind != "success" && kind != "retry"
	}
	return slices.Contains(on, kind)
}

// All returns n and every route below it.
func (n *Node) All() []*Node {
	out := []*Node{n}
	for _, c := range n.Children {
		out = append(out, c.All()...)
	}
	return out
}

// Find returns the route with that path, or nil.
func (t *Tree) Find(path string) *Node {
	name, _, _ := strings.Cut(path, "/")
	if n := t.named[name]; n != nil {
		for _, x := range n.All() {
			if x.Path == path {
				return x
			}
		}
	}
	return nil
}

// Wants reports whether any route of the tree hears alerts of kind, so
// event alerts nobody listens to are not even recorded.
func (t *Tree) Wants(kind string) bool {
	for _, n := range t.named {
		for _, x := range n.All() {
			if slices.Contains(x.On, kind) {
				return true
			}
		}
	}
	return false
}

// GroupKey is the key of the group an alert with labels joins at n, and
// the group's labels: n's path and the values of its group_by labels
// ("..." groups by every label).
func (n *Node) GroupKey(labels map[string]string) (string, map[string]string) {
	by := n.Grouping.By
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
	b.WriteString(n.Path)
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
