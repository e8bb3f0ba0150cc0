package spec

import (
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// KindProcess is the default kind of task: a shell command run as a local
// process group. Its block is `run:` and `workdir:`, written on the task
// itself (Task.Run, Task.Workdir).
const KindProcess = "process"

// KindApproval is a task that runs nothing: it waits until people approve
// it (Task.Approval), someone rejects it, or its timeout passes.
const KindApproval = "approval"

// DefaultApprovalTimeout is how long an approval task waits when it sets
// no timeout of its own (the pipeline's defaults do not apply to it).
const DefaultApprovalTimeout = 24 * time.Hour

// taskKind is what the decoder knows of one kind: the task keys of its
// block, and the one it cannot do without.
type taskKind struct {
	keys     []string
	required string
	missing  string // the error when required is absent
}

// taskKinds holds every kind a task may have. A new kind is an entry here,
// its block's keys in taskKeys and its fields on Task.
var taskKinds = map[string]taskKind{
	KindProcess:  {keys: []string{"run", "workdir", "worker"}, required: "run", missing: "missing `run:` (the shell command to run)"},
	KindApproval: {keys: []string{"approval"}, required: "approval", missing: "missing `approval:` (who must approve: {required: 1, approvers: [...]})"},
}

// Kinds lists the kinds a task may have, sorted.
func Kinds() []string {
	out := make([]string, 0, len(taskKinds))
	for k := range taskKinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// kind checks a task's `kind:` (node nil when absent: the default) and
// that the task has its kind's block and no other kind's.
func (d *decoder) kind(n, node *yaml.Node, path string, fields []field) string {
	name := KindProcess
	if node != nil {
		s, ok := d.str(node, join(path, "kind"))
		if !ok {
			return ""
		}
		if _, known := taskKinds[s]; !known {
			hint := didYouMean(s, Kinds())
			if hint == "" {
				hint = "kinds: " + strings.Join(Kinds(), ", ")
			}
			d.hintf(node, join(path, "kind"), hint, "unknown kind %q", clip(s))
			return s
		}
		name = s
	}
	k := taskKinds[name]
	has := false
	for _, f := range fields {
		if f.Key == k.required {
			has = true
		}
		if owner := blockOwner(f.Key); owner != "" && owner != name {
			d.errorf(f.KeyNode, f.Path, "`%s:` is for tasks of kind %s, not %s", f.Key, owner, name)
		}
	}
	if !has {
		d.errorf(n, path, "%s", k.missing)
	}
	return name
}

// blockOwner returns the kind whose block key belongs to; "" for a key
// every task may have.
func blockOwner(key string) string {
	for name, k := range taskKinds {
		if slices.Contains(k.keys, key) {
			return name
		}
	}
	return ""
}
