package dag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors New and Order return, wrapped with details.
var (
	ErrDuplicate = errors.New("duplicate node")
	ErrUnknown   = errors.New("unknown node")
	ErrCycle     = errors.New("cycle")
)

// Node is one node and the ids it needs.
type Node struct {
	ID    string
	Needs []string
}

// Graph is an immutable dependency graph. Its methods are safe for
// concurrent use.
type Graph struct {
	ids   []string
	index map[string]int
	needs [][]int // upstream, as written (duplicates removed)
	deps  [][]int // downstream, in file order
}

// New builds a graph from nodes in file order. A duplicate id or a need
// naming no node is an error; a node needing itself is accepted and shows
// up as a cycle.
func New(nodes []Node) (*Graph, error) {
	g := &Graph{
		ids:   make([]string, len(nodes)),
		index: make(map[string]int, len(nodes)),
		needs: make([][]int, len(nodes)),
		deps:  make([][]int, len(nodes)),
	}
	for i, n := range nodes {
		if _, dup := g.index[n.ID]; dup {
			return nil, fmt.Errorf("%w %q", ErrDuplicate, n.ID)
		}
		g.ids[i] = n.ID
		g.index[n.ID] = i
	}
	for i, n := range nodes {
		for _, need := range n.Needs {
			j, ok := g.index[need]
			if !ok {
				return nil, fmt.Errorf("%q needs %w %q", n.ID, ErrUnknown, need)
			}
			if slices.Contains(g.needs[i], j) {
				continue
			}
			g.needs[i] = append(g.needs[i], j)
			g.deps[j] = append(g.deps[j], i)
		}
	}
	for j := range g.deps {
		slices.Sort(g.deps[j])
	}
	return g, nil
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.ids) }

// Nodes returns the ids in file order.
func (g *Graph) Nodes() []string { return slices.Clone(g.ids) }

// Has reports whether id is a node.
func (g *Graph) Has(id string) bool {
	_, ok := g.index[id]
	return ok
}

// Needs returns the direct upstream nodes of id, as written.
func (g *Graph) Needs(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.names(g.needs[i])
}

// Dependents returns the nodes that directly need id, in file order.
func (g *Graph) Dependents(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.names(g.deps[i])
}

func (g *Graph) names(idx []int) []string {
	if len(idx) == 0 {
		return nil
	}
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.ids[i]
	}
	return out
}

// FormatCycle renders a cycle as "a → b → c → a".
func FormatCycle(cycle []string) string {
	return strings.Join(cycle, " → ")
}
