package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// RuleWorkerLabels is the rule id of checkWorkerLabels.
const RuleWorkerLabels = "worker-labels"

func init() {
	rules = append(rules, Rule{
		ID: RuleWorkerLabels, Severity: SeverityWarning,
		Title: "A task that selects workers by label has a registered worker to run it",
		Explain: `On a PostgreSQL store that gantry serve and gantry worker processes share,
a task with worker: {labels: {…}} is claimed only by a worker whose
--labels include every one of them. With no such worker registered, its
attempts wait in the queue until one starts: the run stalls, and pages for
its SLA, not for the missing worker.

Only checked when the gate can read the store's registered workers (gantry
check against a server or store that workers share); workers that are
draining or whose heartbeat stopped do not count.`,
		Fix: "start a worker with those labels (gantry worker --labels k=v,…), or correct the task's worker.labels",
	})
}

// checkWorkerLabels reports a task whose worker labels no active
// registered worker carries.
func (r *run) checkWorkerLabels(p *spec.Pipeline) {
	if r.opts.Workers == nil {
		return
	}
	for i := range p.Tasks {
		t := &p.Tasks[i]
		if len(t.Worker) == 0 {
			continue
		}
		workers, ok := r.workers()
		if !ok {
			return
		}
		if slices.ContainsFunc(workers, func(w map[string]string) bool { return carries(w, t.Worker) }) {
			continue
		}
		path := fmt.Sprintf("tasks[%d]", i)
		r.add(r.at(p, RuleWorkerLabels, t.Pos, fmt.Sprintf("%s %q selects workers labelled %s, but none of the %d active registered workers carries them: its attempts would wait",
			path, t.ID, labelList(t.Worker), len(workers)), path+".worker.labels", path+".worker"))
	}
}

// workers asks Options.Workers once per check.
func (r *run) workers() ([]map[string]string, bool) {
	if !r.workersRead {
		r.workerLabels, r.workersOK = r.opts.Workers()
		r.workersRead = true
	}
	return r.workerLabels, r.workersOK
}

// carries reports whether a worker's labels include every one of want.
func carries(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func labelList(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}
