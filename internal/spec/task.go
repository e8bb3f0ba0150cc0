package spec

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

var taskKeys = []string{"id", "kind", "needs", "run", "workdir", "approval", "environment", "teardown", "env", "retries", "timeout", "resources", "worker"}

// tasks decodes `tasks:` and merges the pipeline's defaults into each.
func (d *decoder) tasks(n *yaml.Node, path string, defs TaskDefaults) []Task {
	items, ok := d.sequence(n, path)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.errorf(n, path, "a pipeline needs at least one task")
		return nil
	}
	out := make([]Task, 0, len(items))
	for i, it := range items {
		out = append(out, d.task(it, index(path, i), defs))
	}
	return out
}

func (d *decoder) task(n *yaml.Node, path string, defs TaskDefaults) Task {
	t := Task{Pos: posOf(n)}
	d.pos[path] = t.Pos
	fields, ok := d.mapping(n, path, taskKeys)
	if !ok {
		return t
	}
	hasID := false
	var kindNode *yaml.Node
	for _, f := range fields {
		v, p := f.Value, f.Path
		switch f.Key {
		case "id":
			hasID = true
			t.ID, _ = d.strMatching(v, p, nameRe, "task id")
		case "kind":
			kindNode = v
		case "needs":
			t.Needs = d.needs(v, p)
		case "run":
			t.Run, _ = d.str(v, p)
		case "workdir":
			t.Workdir, _ = d.str(v, p)
		case "approval":
			a := d.approval(v, p)
			if a.Required == 0 {
				a.Required = 1
			}
			t.Approval = &a
		case "environment":
			t.Environment, t.Ephemeral = d.environment(v, p)
		case "teardown":
			t.Teardown, _ = d.boolean(v, p)
		case "env":
			t.Env = d.env(v, p)
		case "retries":
			t.Retries = d.retries(v, p)
		case "timeout":
			t.Timeout, _ = d.duration(v, p)
		case "resources":
			t.Resources = d.resources(v, p)
		case "worker":
			t.Worker = d.worker(v, p)
		}
	}
	if !hasID {
		d.errorf(n, path, "missing `id:`")
	}
	if t.Teardown && len(t.Needs) == 0 {
		d.errorf(n, path, "a teardown task needs the tasks it cleans up after: add `needs:`")
	}
	t.Kind = d.kind(n, kindNode, path, fields)
	if t.Kind == KindApproval {
		// People answer an approval once, in their own time: the
		// defaults' retries, timeout and limits are for commands.
		if t.Retries != nil {
			d.errorf(n, path, "an approval task is asked once: remove `retries:`")
		}
		if t.Resources != (Resources{}) {
			d.errorf(n, path, "an approval task runs nothing: remove `resources:`")
		}
		if t.Environment != "" {
			// It would be skipped outside that environment, and a
			// skipped approval lets what needs it through.
			d.errorf(n, path, "an approval task acts on no environment: remove `environment:` (it guards the tasks that need it)")
		}
		if t.Teardown {
			d.errorf(n, path, "an approval task cannot be a teardown: a teardown runs whatever happened, without asking")
		}
		if t.Timeout == 0 {
			t.Timeout = DefaultApprovalTimeout
		}
		return t
	}
	if t.Retries == nil && defs.Retries != nil {
		r := *defs.Retries
		t.Retries = &r
	}
	if t.Timeout == 0 {
		t.Timeout = defs.Timeout
	}
	if t.Resources.Memory == 0 {
		t.Resources.Memory = defs.Resources.Memory
	}
	if t.Resources.MilliCPU == 0 {
		t.Resources.MilliCPU = defs.Resources.MilliCPU
	}
	return t
}

// needs accepts a list of task ids or a single id.
func (d *decoder) needs(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		s, ok := d.strMatching(n, path, nameRe, "task id")
		if !ok {
			return nil
		}
		d.pos[index(path, 0)] = posOf(n)
		return []string{s}
	}
	return d.strList(n, path, nameRe, "task id")
}

// env decodes a task's environment: NAME: literal, or NAME: {secret: ref}.
func (d *decoder) env(n *yaml.Node, path string) []EnvVar {
	fields, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []EnvVar
	for _, f := range fields {
		if !envVarRe.MatchString(f.Key) {
			d.errorf(f.KeyNode, f.Path, "invalid variable name %q: %s", clip(f.Key), describeRe(envVarRe))
			continue
		}
		if strings.HasPrefix(strings.ToUpper(f.Key), "GANTRY_") {
			d.errorf(f.KeyNode, f.Path, "variables starting with GANTRY_ are set by Gantry")
			continue
		}
		ev := EnvVar{Name: f.Key}
		switch f.Value.Kind {
		case yaml.MappingNode:
			refs, _ := d.mapping(f.Value, f.Path, []string{"secret"})
			for _, r := range refs {
				ev.Secret, _ = d.strMatching(r.Value, r.Path, secretRe, "secret name")
			}
			if len(refs) == 0 {
				d.errorf(f.Value, f.Path, "expected a value or {secret: NAME}")
				continue
			}
		case yaml.ScalarNode:
			if f.Value.Tag == "!!null" {
				d.errorf(f.Value, f.Path, "missing value (write \"\" for an empty one)")
				continue
			}
			ev.Value = f.Value.Value
		default:
			d.errorf(f.Value, f.Path, "expected a value or {secret: NAME}, got %s", describe(f.Value))
			continue
		}
		if ev.Secret == "" && ev.Value == "" && f.Value.Kind == yaml.MappingNode {
			continue
		}
		out = append(out, ev)
	}
	return out
}

// environment decodes a task's `environment:`: a name, or {name, ephemeral}.
func (d *decoder) environment(n *yaml.Node, path string) (name string, ephemeral bool) {
	if n.Kind != yaml.MappingNode {
		name, _ = d.strMatching(n, path, nameRe, "environment name")
		return name, false
	}
	fields, _ := d.mapping(n, path, []string{"name", "ephemeral"})
	for _, f := range fields {
		switch f.Key {
		case "name":
			name, _ = d.strMatching(f.Value, f.Path, nameRe, "environment name")
		case "ephemeral":
			ephemeral, _ = d.boolean(f.Value, f.Path)
		}
	}
	if name == "" {
		d.errorf(n, path, "missing `name:` (the environment: {name: staging, ephemeral: true})")
	}
	return name, ephemeral
}

// worker decodes `worker: {labels: {KEY: VALUE}}`.
func (d *decoder) worker(n *yaml.Node, path string) map[string]string {
	fields, ok := d.mapping(n, path, []string{"labels"})
	if !ok {
		return nil
	}
	var out map[string]string
	for _, f := range fields {
		labels, ok := d.mapping(f.Value, f.Path, nil)
		if !ok {
			continue
		}
		out = make(map[string]string, len(labels))
		for _, l := range labels {
			if !workerLabelRe.MatchString(l.Key) {
				d.errorf(l.KeyNode, l.Path, "label %q: a key is 1 to 63 of A-Z, a-z, 0-9, _ . / -", l.Key)
				continue
			}
			if v, ok := d.scalar(l.Value, l.Path, "a value"); ok {
				out[l.Key] = v
			}
		}
	}
	return out
}
