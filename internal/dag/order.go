package dag

import (
	"container/heap"
	"fmt"
	"slices"
)

// Cycle returns one cycle as a path that starts and ends with the same
// node, following the direction work flows (a → b means b needs a), or
// nil when the graph is acyclic. A node needing itself gives (a, a). The
// cycle found first in file order is returned, rotated to start at its
// earliest node, so the answer is stable.
func (g *Graph) Cycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(g.ids))
	type frame struct{ node, next int }
	for root := range g.ids {
		if color[root] != white {
			continue
		}
		stack := []frame{{node: root}}
		color[root] = grey
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(g.deps[top.node]) {
				color[top.node] = black
				stack = stack[:len(stack)-1]
				continue
			}
			child := g.deps[top.node][top.next]
			top.next++
			switch color[child] {
			case white:
				color[child] = grey
				stack = append(stack, frame{node: child})
			case grey:
				var path []int
				for k := len(stack) - 1; k >= 0; k-- {
					path = append(path, stack[k].node)
					if stack[k].node == child {
						break
					}
				}
				slices.Reverse(path)
				return g.closeCycle(path)
			}
		}
	}
	return nil
}

// closeCycle rotates a cycle to start at its earliest node and repeats
// that node at the end.
func (g *Graph) closeCycle(path []int) []string {
	start := 0
	for k, n := range path {
		if n < path[start] {
			start = k
		}
	}
	out := make([]string, 0, len(path)+1)
	for k := range path {
		out = append(out, g.ids[path[(start+k)%len(path)]])
	}
	return append(out, out[0])
}

// Order returns every node in topological order: a node comes after all
// it needs, and among nodes free to go next the one written first goes
// first. A cyclic graph gives an error wrapping ErrCycle.
func (g *Graph) Order() ([]string, error) {
	indeg := make([]int, len(g.ids))
	for i := range g.ids {
		indeg[i] = len(g.needs[i])
	}
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]string, 0, len(g.ids))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, g.ids[i])
		for _, j := range g.deps[i] {
			indeg[j]--
			if indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(out) != len(g.ids) {
		return nil, fmt.Errorf("%w: %s", ErrCycle, FormatCycle(g.Cycle()))
	}
	return out, nil
}

// Ready returns, in file order, the nodes not in done whose needs are all
// in done. Ids in done that are not nodes are ignored.
func (g *Graph) Ready(done map[string]bool) []string {
	var out []string
	for i, id := range g.ids {
		if done[id] {
			continue
		}
		ok := true
		for _, j := range g.needs[i] {
			if !done[g.ids[j]] {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, id)
		}
	}
	return out
}

// Downstream returns every node that transitively needs id, in file
// order, without id itself. An unknown id gives nil.
func (g *Graph) Downstream(id string) []string {
	return g.reach(id, g.deps)
}

// Upstream returns every node id transitively needs, in file order,
// without id itself. An unknown id gives nil.
func (g *Graph) Upstream(id string) []string {
	return g.reach(id, g.needs)
}

func (g *Graph) reach(id string, edges [][]int) []string {
	start, ok := g.index[id]
	if !ok {
		return nil
	}
	seen := make([]bool, len(g.ids))
	queue := []int{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range edges[n] {
			if !seen[m] {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	var out []string
	for i, s := range seen {
		if s && i != start {
			out = append(out, g.ids[i])
		}
	}
	return out
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
