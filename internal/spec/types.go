package spec

import "time"

// Pos is a position in a YAML file, 1-based.
type Pos struct {
	Line, Col int
}

// Pipeline is one parsed pipeline file. Pipeline-level `defaults` have
// already been merged into every task; Gantry's own built-in fallbacks
// (one attempt, no timeout, no limits) are not applied here: a zero value
// means "not set", so the readiness gate can tell what the author wrote.
type Pipeline struct {
	File        string // the path it was read from, as given
	Name        string // `pipeline:`
	Owner       string
	Description string
	Params      []Param // in file order
	Schedule    *Schedule
	Produces    []string
	Consumes    []string
	Defaults    TaskDefaults // as written, kept for the gate
	Concurrency Concurrency
	Timeout     time.Duration // whole run; 0 = none
	Tasks       []Task        // in file order
	SLA         SLA
	Monitoring  Monitoring
	Alerts      Alerts
	Runbook     string
	Rollback    Rollback
	// Environments in file order.
	Environments []Environment
	// Positions maps a field path, as used in error messages
	// ("tasks[2].timeout", "schedule.cron", "sla"), to where it was written.
	Positions map[string]Pos
}

// Task returns the task with that id, or nil.
func (p *Pipeline) Task(id string) *Task {
	for i := range p.Tasks {
		if p.Tasks[i].ID == id {
			return &p.Tasks[i]
		}
	}
	return nil
}

// Param is a pipeline parameter. A parameter without a default is required.
type Param struct {
	Name       string
	Default    string
	HasDefault bool
}

// Schedule says when runs are due.
type Schedule struct {
	Cron     string
	Timezone string         // IANA name; "" means UTC
	Location *time.Location // resolved Timezone, never nil after parsing
	After    []string       // upstream pipelines
	Catchup  string         // all | latest | none; "" means latest
}

// TaskDefaults are the pipeline's `defaults:`, applied to every task that
// does not set its own.
type TaskDefaults struct {
	Retries   *Retries
	Timeout   time.Duration
	Resources Resources
}

// Retries says how often and how soon a failed task is tried again.
type Retries struct {
	Attempts int           // total tries, ≥ 1
	Backoff  string        // "constant" or "exponential"; "" means exponential
	Initial  time.Duration // first wait; 0 means 1s
	Max      time.Duration // cap on one wait; 0 means none
	Jitter   float64       // 0..1: each wait is randomised by ± this fraction
}

// Resources are limits for one task attempt.
type Resources struct {
	Memory   int64 // bytes; 0 = no limit
	MilliCPU int64 // thousandths of a CPU; 0 = no limit
}

// Concurrency bounds a pipeline's runs and tasks.
type Concurrency struct {
	MaxActiveRuns int // 0 means 1
	Parallelism   int // tasks at once within a run; 0 means 4
	Pool          string
}

// Task is one node of the DAG. Retries, Timeout and Resources already
// include the pipeline's defaults.
type Task struct {
	ID        string
	Needs     []string
	Run       string // a shell command; may hold templates, see Render
	Workdir   string // relative to the project folder, or absolute; see Pipeline.WorkDir
	Env       []EnvVar
	Retries   *Retries // nil: neither the task nor the defaults set it
	Timeout   time.Duration
	Resources Resources
	Pos       Pos // where `- id:` was written
}

// EnvVar is a task environment variable: a literal, or a reference to a
// secret resolved only at run time. Exactly one of Value and Secret is set.
type EnvVar struct {
	Name   string
	Value  string
	Secret string
}

// SLA is what the pipeline promises.
type SLA struct {
	Deadline  string        // "HH:MM" local time in the schedule's zone; "" = none
	Freshness time.Duration // 0 = none
}

// Monitoring declares what to watch beyond success and failure.
type Monitoring struct {
	RowCounts *RowCounts
}

// RowCounts watches the `rows` output of one task.
type RowCounts struct {
	Task    string
	Min     int64
	MaxDrop float64 // fraction 0..1, from "50%"; 0 = not watched
}

// Alerts names the route failures go to.
type Alerts struct {
	Route string
}

// Rollback is the pipeline's rollback plan.
type Rollback struct {
	OnFirstRunFailure string // "previous_revision" or "none"; "" = not set
}

// Environment is a pipeline's settings for one environment.
type Environment struct {
	Name     string
	Params   map[string]string
	Approval Approval
}

// Approval is how many people must approve a deployment.
type Approval struct {
	Required int
}

// Project is the parsed gantry.yaml.
type Project struct {
	File         string // "" when the project has no gantry.yaml
	Dir          string // the project folder: tasks run here by default
	Name         string
	Store        string // a path (SQLite) or postgres:// URL; "" = .gantry/gantry.db
	Environments []ProjectEnvironment
	Pools        []Pool
	Secrets      Secrets
	Alerts       ProjectAlerts
	Positions    map[string]Pos
}

// ProjectEnvironment is an environment shared by every pipeline.
type ProjectEnvironment struct {
	Name       string
	Params     map[string]string
	Production bool
	Staging    bool
	Approval   Approval
}

// Pool caps how many tasks of the pipelines in it run at once.
type Pool struct {
	Name  string
	Slots int
}

// Secrets says where `{secret: NAME}` references are resolved.
type Secrets struct {
	// EnvPrefix: NAME is read from the environment variable
	// EnvPrefix+upper(NAME). "" means "GANTRY_SECRET_".
	EnvPrefix string
	// Dir, when set, is a folder holding one file per secret, named NAME,
	// tried before the environment.
	Dir string
}

// ProjectAlerts are the alert channels and the named routes to them.
type ProjectAlerts struct {
	Channels []Channel
	Routes   []Route
}

// Channel is one way to reach people.
type Channel struct {
	Name      string
	Type      string // webhook | slack | pagerduty | email | alertmanager
	URL       string
	URLSecret string // secret holding the URL, for Slack-style webhook URLs
	Secret    string // secret for signing or the routing key
	To        []string
}

// Route sends a pipeline's alerts to channels.
type Route struct {
	Name     string
	Channels []string
	On       []string // failure | timeout | sla | freshness | row_count | degradation | success; empty = all but success
}
