package spec

import (
	"go.yaml.in/yaml/v3"
)

var pipelineKeys = []string{
	"pipeline", "owner", "description", "params", "schedule", "produces",
	"consumes", "defaults", "concurrency", "timeout", "tasks", "sla",
	"monitoring", "alerts", "runbook", "rollback", "environments",
}

// ParsePipeline parses one pipeline file. path is used in error messages
// and kept in Pipeline.File. Every problem in the file is reported at
// once as Errors; a nil error means a pipeline with at least one task.
func ParsePipeline(path string, data []byte) (*Pipeline, error) {
	return parsePipeline(path, data, "")
}

// parsePipeline is ParsePipeline for a file of the project folder dir on
// disk, or for bytes from elsewhere when dir is "".
func parsePipeline(path string, data []byte, dir string) (*Pipeline, error) {
	d := newDecoder(path)
	d.dir = dir
	root := d.parseDocument(data)
	if root == nil {
		return nil, d.errs.Err()
	}
	p := &Pipeline{File: path, Positions: d.pos}
	if d.pipeline(root, p) && d.aliases.over == nil {
		validate(d, p)
	}
	if err := d.result(); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadPipelineFile reads and parses one pipeline file, refusing one over
// MaxFileSize.
func LoadPipelineFile(path string) (*Pipeline, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	return parsePipeline(path, data, ProjectDir(path))
}

// pipeline decodes the top-level mapping, reporting whether it was one.
func (d *decoder) pipeline(root *yaml.Node, p *Pipeline) bool {
	fields, ok := d.mapping(root, "", pipelineKeys)
	if !ok {
		return false
	}
	var tasksNode *yaml.Node
	for _, f := range fields {
		v, path := f.Value, f.Path
		switch f.Key {
		case "pipeline":
			p.Name, _ = d.strMatching(v, path, nameRe, "pipeline name")
		case "owner":
			p.Owner, _ = d.str(v, path)
		case "description":
			p.Description, _ = d.scalar(v, path, "a string")
		case "params":
			p.Params = d.params(v, path)
		case "schedule":
			p.Schedule = d.schedule(v, path)
		case "produces":
			p.Produces = d.strList(v, path, datasetRe, "dataset name")
		case "consumes":
			p.Consumes = d.strList(v, path, datasetRe, "dataset name")
		case "defaults":
			p.Defaults = d.defaults(v, path)
		case "concurrency":
			p.Concurrency = d.concurrency(v, path)
		case "timeout":
			p.Timeout, _ = d.duration(v, path)
		case "tasks":
			tasksNode = v
		case "sla":
			p.SLA = d.sla(v, path)
		case "monitoring":
			p.Monitoring = d.monitoring(v, path)
		case "alerts":
			p.Alerts = d.alerts(v, path)
		case "runbook":
			p.Runbook = d.runbook(v, path)
		case "rollback":
			p.Rollback = d.rollback(v, path)
		case "environments":
			p.Environments = d.environments(v, path)
		}
	}
	if _, ok := d.pos["pipeline"]; !ok {
		d.errs.add(d.file, posOf(root), "", "", "missing `pipeline:` (the pipeline's name)")
	}
	if tasksNode == nil {
		d.errs.add(d.file, posOf(root), "", "", "missing `tasks:` (a pipeline needs at least one task)")
		return true
	}
	p.Tasks = d.tasks(tasksNode, "tasks", p.Defaults)
	return true
}

// params decodes `params:`, a mapping of name to default; a null default
// makes the parameter required.
func (d *decoder) params(n *yaml.Node, path string) []Param {
	fields, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []Param
	for _, f := range fields {
		if !nameRe.MatchString(f.Key) {
			d.errorf(f.KeyNode, f.Path, "invalid param name %q: %s", clip(f.Key), describeRe(nameRe))
			continue
		}
		prm := Param{Name: f.Key}
		switch {
		case f.Value.Kind == yaml.ScalarNode && f.Value.Tag == "!!null":
		case f.Value.Kind == yaml.ScalarNode:
			prm.Default, prm.HasDefault = f.Value.Value, true
		default:
			d.errorf(f.Value, f.Path, "expected a default value (or ~ for a required param), got %s", describe(f.Value))
			continue
		}
		out = append(out, prm)
	}
	return out
}

func (d *decoder) defaults(n *yaml.Node, path string) TaskDefaults {
	var td TaskDefaults
	fields, _ := d.mapping(n, path, []string{"retries", "timeout", "resources"})
	for _, f := range fields {
		switch f.Key {
		case "retries":
			td.Retries = d.retries(f.Value, f.Path)
		case "timeout":
			td.Timeout, _ = d.duration(f.Value, f.Path)
		case "resources":
			td.Resources = d.resources(f.Value, f.Path)
		}
	}
	return td
}

var backoffs = []string{"constant", "exponential"}

// retries decodes `retries:`, a mapping or a bare number of attempts.
func (d *decoder) retries(n *yaml.Node, path string) *Retries {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		v, ok := d.smallInt(n, path, 1)
		if !ok {
			return nil
		}
		return &Retries{Attempts: v}
	}
	fields, ok := d.mapping(n, path, []string{"attempts", "backoff", "initial", "max", "jitter"})
	if !ok {
		return nil
	}
	r := &Retries{}
	for _, f := range fields {
		switch f.Key {
		case "attempts":
			r.Attempts, _ = d.smallInt(f.Value, f.Path, 1)
		case "backoff":
			r.Backoff, _ = d.oneOf(f.Value, f.Path, backoffs)
		case "initial":
			r.Initial, _ = d.duration(f.Value, f.Path)
		case "max":
			r.Max, _ = d.duration(f.Value, f.Path)
		case "jitter":
			r.Jitter, _ = d.fraction(f.Value, f.Path)
		}
	}
	if _, ok := d.pos[join(path, "attempts")]; !ok {
		d.errorf(n, path, "missing `attempts:` (total tries, at least 1)")
	}
	if r.Max > 0 && r.Initial > r.Max {
		d.errorf(n, path, "initial (%s) is longer than max (%s)", r.Initial, r.Max)
	}
	return r
}

func (d *decoder) resources(n *yaml.Node, path string) Resources {
	var r Resources
	fields, _ := d.mapping(n, path, []string{"memory", "cpu"})
	for _, f := range fields {
		switch f.Key {
		case "memory":
			r.Memory, _ = d.size(f.Value, f.Path)
		case "cpu":
			r.MilliCPU, _ = d.cpu(f.Value, f.Path)
		}
	}
	return r
}

func (d *decoder) concurrency(n *yaml.Node, path string) Concurrency {
	var c Concurrency
	fields, _ := d.mapping(n, path, []string{"max_active_runs", "parallelism", "pool"})
	for _, f := range fields {
		switch f.Key {
		case "max_active_runs":
			c.MaxActiveRuns, _ = d.smallInt(f.Value, f.Path, 1)
		case "parallelism":
			c.Parallelism, _ = d.smallInt(f.Value, f.Path, 1)
		case "pool":
			c.Pool, _ = d.strMatching(f.Value, f.Path, nameRe, "pool name")
		}
	}
	return c
}

func (d *decoder) alerts(n *yaml.Node, path string) Alerts {
	var a Alerts
	fields, _ := d.mapping(n, path, []string{"route", "suppress"})
	for _, f := range fields {
		switch f.Key {
		case "route":
			a.Route, _ = d.strMatching(f.Value, f.Path, nameRe, "route name")
		case "suppress":
			a.Suppress = d.suppressions(f.Value, f.Path)
		}
	}
	return a
}

var rollbackPlans = []string{"previous_revision", "none"}

var releaseRollbackPlans = []string{"previous_release", "none"}

func (d *decoder) rollback(n *yaml.Node, path string) Rollback {
	var r Rollback
	fields, _ := d.mapping(n, path, []string{"on_first_run_failure", "on_failure"})
	for _, f := range fields {
		switch f.Key {
		case "on_first_run_failure":
			r.OnFirstRunFailure, _ = d.oneOf(f.Value, f.Path, rollbackPlans)
		case "on_failure":
			r.OnFailure, _ = d.oneOf(f.Value, f.Path, releaseRollbackPlans)
		}
	}
	return r
}

func (d *decoder) environments(n *yaml.Node, path string) []Environment {
	envs, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []Environment
	for _, e := range envs {
		if !nameRe.MatchString(e.Key) {
			d.errorf(e.KeyNode, e.Path, "invalid environment name %q: %s", clip(e.Key), describeRe(nameRe))
			continue
		}
		env := Environment{Name: e.Key}
		if e.Value.Kind == yaml.ScalarNode && e.Value.Tag == "!!null" {
			out = append(out, env) // `staging:` alone: deployable, nothing overridden
			continue
		}
		fields, _ := d.mapping(e.Value, e.Path, []string{"params", "approval"})
		for _, f := range fields {
			switch f.Key {
			case "params":
				env.Params = d.stringMap(f.Value, f.Path)
			case "approval":
				env.Approval = d.approval(f.Value, f.Path)
			}
		}
		out = append(out, env)
	}
	return out
}

func (d *decoder) approval(n *yaml.Node, path string) Approval {
	var a Approval
	fields, _ := d.mapping(n, path, []string{"required", "approvers"})
	for _, f := range fields {
		switch f.Key {
		case "required":
			a.Required, _ = d.smallInt(f.Value, f.Path, 0)
		case "approvers":
			a.Approvers = d.strList(f.Value, f.Path, nil, "")
		}
	}
	if len(a.Approvers) > 0 && a.Required > len(a.Approvers) {
		d.errorf(n, path, "needs %d approval(s) but lists only %d approver(s)", a.Required, len(a.Approvers))
	}
	return a
}
