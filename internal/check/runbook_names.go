package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// CommandLine is what one gantry command line names, as the CLI reads it
// (see Options.Commands).
type CommandLine struct {
	Command   string   // its path below gantry: "dlq replay"
	Pipelines []string // the words it takes as pipeline names
	Tasks     []string // ... as task ids
	Envs      []string // ... as environment names
}

// names are the pipelines, tasks and environments a runbook may name.
type names struct {
	pipelines map[string]*spec.Pipeline
	own       []*spec.Pipeline // the pipelines whose runbook it is
	envs      []string
	// partial: the folder holds only some of the project's pipelines
	// (Options.Partial), so one the gate cannot see may still exist.
	partial bool
	// mentioned are the pipelines the runbook names anywhere; unseen is
	// set when one of them is not among those the gate can see.
	mentioned []*spec.Pipeline
	unseen    bool
}

// mention records the pipelines a command line of the runbook names: a
// task named without its pipeline may be one of theirs.
func (n *names) mention(line CommandLine) {
	for _, name := range line.Pipelines {
		if Placeholder(name) {
			continue
		}
		if p, ok := n.pipelines[name]; ok {
			if !slices.Contains(n.mentioned, p) {
				n.mentioned = append(n.mentioned, p)
			}
		} else if n.partial {
			n.unseen = true // it may exist outside the folder
		}
	}
}

// namesFor collects what the runbook file of p may name: the project's
// pipelines and environments; tasks of the pipeline a command names, or
// else of every pipeline that shares this runbook.
func (r *run) namesFor(p *spec.Pipeline, file string) names {
	n := names{pipelines: map[string]*spec.Pipeline{}, partial: r.opts.Partial}
	for _, q := range r.pipelines {
		n.pipelines[q.Name] = q
		if q.Runbook != "" && runbookFile(q) == file {
			n.own = append(n.own, q)
		}
		for _, e := range q.Environments {
			n.envs = append(n.envs, e.Name)
		}
	}
	if len(n.own) == 0 {
		n.own = []*spec.Pipeline{p}
	}
	if r.project != nil {
		for _, e := range r.project.Environments {
			n.envs = append(n.envs, e.Name)
		}
	}
	return n
}

// check returns what line names that does not exist. A task named
// without its pipeline is looked for in the pipelines the runbook is for
// and those it names; when it names one the gate cannot see, such a task
// is not checked. A pipeline the gate cannot see is a finding unless the
// folder holds only some of the project's pipelines.
func (n names) check(line CommandLine) []string {
	var out []string
	in := append(slices.Clone(n.own), n.mentioned...)
	unseen := n.unseen
	for _, name := range line.Pipelines {
		if Placeholder(name) {
			continue
		}
		p, ok := n.pipelines[name]
		switch {
		case ok:
			in, unseen = []*spec.Pipeline{p}, false
		case n.partial:
			in, unseen = nil, true
		default:
			out = append(out, fmt.Sprintf("pipeline %q does not exist%s", name, suggest(name, slices.Sorted(mapKeys(n.pipelines)))))
			in, unseen = nil, true
		}
	}
	for _, task := range line.Tasks {
		if unseen || Placeholder(task) || slices.ContainsFunc(in, func(p *spec.Pipeline) bool { return p.Task(task) != nil }) {
			continue
		}
		var ids, of []string
		for _, p := range in {
			of = append(of, p.Name)
			for _, t := range p.Tasks {
				ids = append(ids, t.ID)
			}
		}
		out = append(out, fmt.Sprintf("task %q does not exist in %s%s", task, strings.Join(slices.Compact(of), " or "), suggest(task, ids)))
	}
	for _, env := range line.Envs {
		if env == "" || Placeholder(env) || slices.Contains(n.envs, env) {
			continue
		}
		out = append(out, fmt.Sprintf("environment %q does not exist%s", env, suggest(env, n.envs)))
	}
	return out
}

// Placeholder reports whether a word stands for a value the reader fills
// in (RUN_ID, <run>, $RUN, {id}) rather than naming one.
func Placeholder(w string) bool {
	if strings.ContainsAny(w, "$<>{}[]…") || strings.Contains(w, "...") {
		return true
	}
	return strings.ToUpper(w) == w && strings.ToLower(w) != w
}

// suggest is a "did you mean" for a mistyped name, or the names there are.
func suggest(name string, known []string) string {
	if best := spec.Closest(name, known); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(known) > 0 && len(known) <= 8 {
		return " (there are: " + strings.Join(slices.Compact(slices.Sorted(slices.Values(known))), ", ") + ")"
	}
	return ""
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
