package spec

import (
	"fmt"

	"github.com/gantryhq/gantry/internal/dag"
)

// validate runs the checks that span fields of one pipeline: the task
// graph, references to tasks and params, and templates. It tolerates the
// partial pipeline left by decoding errors.
func validate(d *decoder, p *Pipeline) {
	ids := checkTasks(d, p)
	checkGraph(d, p, ids)
	params := map[string]bool{}
	var paramNames []string
	for _, prm := range p.Params {
		params[prm.Name] = true
		paramNames = append(paramNames, prm.Name)
	}
	for i, t := range p.Tasks {
		if t.Run != "" {
			checkTemplate(d, fmt.Sprintf("tasks[%d].run", i), t.Run, paramNames, func() []string { return p.Upstream(t.ID) })
		}
	}
	if rc := p.Monitoring.RowCounts; rc != nil && rc.Task != "" && p.Task(rc.Task) == nil {
		path := "monitoring.row_counts.task"
		d.errs.add(d.file, d.pos[path], path, didYouMean(rc.Task, ids), "unknown task %q", rc.Task)
	}
	for _, env := range p.Environments {
		for name := range env.Params {
			if !params[name] {
				path := "environments." + env.Name + ".params." + name
				d.errs.add(d.file, d.pos[path], path, orDeclare(name, paramNames), "unknown param %q", name)
			}
		}
	}
	if s := p.Schedule; s != nil && p.Name != "" {
		for i, up := range s.After {
			if up == p.Name {
				path := index("schedule.after", i)
				d.errs.add(d.file, d.pos[path], path, "", "a pipeline cannot run after itself")
			}
		}
	}
}

// checkTasks reports duplicate ids, unknown needs and self-dependencies,
// and returns the task ids in file order.
func checkTasks(d *decoder, p *Pipeline) []string {
	first := map[string]int{} // id → line of its first task
	var ids []string
	for i, t := range p.Tasks {
		if t.ID == "" {
			continue
		}
		if line, dup := first[t.ID]; dup {
			path := fmt.Sprintf("tasks[%d].id", i)
			d.errs.add(d.file, d.pos[path], path, "", "duplicate task id %q (first at line %d)", t.ID, line)
			continue
		}
		first[t.ID] = d.pos[fmt.Sprintf("tasks[%d].id", i)].Line
		ids = append(ids, t.ID)
	}
	for i, t := range p.Tasks {
		for k, need := range t.Needs {
			path := fmt.Sprintf("tasks[%d].needs", i)
			at := d.pos[index(path, k)]
			switch {
			case need == t.ID:
				d.errs.add(d.file, at, path, "", "task %q needs itself", need)
			case !known(first, need):
				d.errs.add(d.file, at, path, didYouMean(need, ids), "unknown task %q", need)
			}
		}
	}
	return ids
}

func known(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// checkGraph reports a cycle among the tasks whose ids and needs are
// valid; the problems checkTasks reports are left out of the graph.
func checkGraph(d *decoder, p *Pipeline, ids []string) {
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	var nodes []dag.Node
	seen := map[string]bool{}
	for _, t := range p.Tasks {
		if t.ID == "" || seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		n := dag.Node{ID: t.ID}
		for _, need := range t.Needs {
			if known[need] && need != t.ID {
				n.Needs = append(n.Needs, need)
			}
		}
		nodes = append(nodes, n)
	}
	g, err := dag.New(nodes)
	if err != nil {
		d.errs.add(d.file, Pos{}, "tasks", "", "%v", err) // unreachable: inputs are filtered
		return
	}
	if cycle := g.Cycle(); cycle != nil {
		path := "tasks"
		for i, t := range p.Tasks {
			if t.ID == cycle[0] {
				path = fmt.Sprintf("tasks[%d].needs", i)
				break
			}
		}
		d.errs.add(d.file, d.pos[path], path, "", "cycle: %s", dag.FormatCycle(cycle))
	}
}

// Graph returns the pipeline's task graph. It fails only for a pipeline
// that did not come from ParsePipeline.
func (p *Pipeline) Graph() (*dag.Graph, error) {
	nodes := make([]dag.Node, len(p.Tasks))
	for i, t := range p.Tasks {
		nodes[i] = dag.Node{ID: t.ID, Needs: t.Needs}
	}
	return dag.New(nodes)
}

// Upstream lists the tasks id needs, directly or through their needs.
func (p *Pipeline) Upstream(id string) []string {
	byID := make(map[string]*Task, len(p.Tasks))
	for i := range p.Tasks {
		byID[p.Tasks[i].ID] = &p.Tasks[i]
	}
	var out []string
	seen := map[string]bool{id: true}
	stack := []string{id}
	for len(stack) > 0 {
		t := byID[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if t == nil {
			continue
		}
		for _, n := range t.Needs {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
				stack = append(stack, n)
			}
		}
	}
	return out
}
