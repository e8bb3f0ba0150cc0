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
	ID string
	// Kind picks what runs the task's attempts: KindProcess (the
	// default) or another of Kinds, each with its block of fields.
	Kind  string
	Needs []string
	// Run and Workdir are the process kind's block.
	Run     string // a shell command; may hold templates, see Render
	Workdir string // relative to the project folder, or absolute; see Pipeline.WorkDir
	// Worker is `worker: {labels: …}`: on a store workers share, only a
	// worker whose labels include these runs the task; nil: any.
	Worker map[string]string
	// Approval is the approval kind's block: how many of whom must
	// approve (Required is at least 1).
	Approval *Approval
	// Environment names the environment the task acts on ("" none): it
	// runs with that environment's params and secrets, and a protected
	// one's rules apply to it.
	Environment string
	// Ephemeral: the task works in a throwaway instance of Environment,
	// one per run: a folder of its own (GANTRY_ENV_DIR), removed when the
	// run ends, and a name of its own (GANTRY_ENV_NAME=staging-run-12).
	Ephemeral bool
	// Teardown: the task runs once every task it needs has ended, however
	// they ended, even when the run failed, timed out or was cancelled.
	Teardown  bool
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
	RowCounts   *RowCounts
	Degradation Degradation
}

// Degradation says when a pipeline that still succeeds is getting worse.
// Zero fields take the defaults named on them.
type Degradation struct {
	// DurationFactor: a run slower than the p95 of the last Window
	// succeeded runs times this is degraded; 0 means 2.
	DurationFactor float64
	Window         int // succeeded runs the p95 is taken over; 0 means 20
	// RetryRate: more than this fraction of the attempts started within
	// RetryWindow being retries is degraded; 0 means 0.5.
	RetryRate   float64
	RetryWindow time.Duration // 0 means 1h
}

// RowCounts watches the `rows` output of one task.
type RowCounts struct {
	Task    string
	Min     int64
	MaxDrop float64 // fraction 0..1, from "50%"; 0 = not watched
	Window  int     // succeeded runs the median is taken over; 0 means 7
}

// Alerts names the route failures go to.
type Alerts struct {
	Route string
	// Suppress lists the failure modes the pipeline's route may drop on
	// purpose, each with its reason; gantry.yaml's apply too.
	Suppress []AlertSuppress
}

// Rollback is the pipeline's rollback plan.
type Rollback struct {
	OnFirstRunFailure string // "previous_revision" or "none"; "" = not set
	// OnFailure "previous_release": a deployed run that fails after it
	// reached its environment's tasks (a smoke test after the deploy)
	// has Gantry ship the previous good release there again, once.
	OnFailure string
}

// Environment is a pipeline's settings for one environment.
type Environment struct {
	Name     string
	Params   map[string]string
	Approval Approval
}

// Approval is how many people must approve a deployment.
type Approval struct {
	Required  int
	Approvers []string // who may approve; empty means anyone with the approver role
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
	Deploy       DeployPolicy
	Logs         Logs
	// Files narrows what a revision holds to the project files these
	// patterns select (MatchFiles); nil means every project file.
	Files []string
	// Test is the project's own test command (test: {run: ...}), run by
	// the CI configuration `gantry ci` writes; zero when there is none.
	Test      Test
	Positions map[string]Pos
}

// Test is how a project runs its own tests.
type Test struct {
	Run string // a shell command, run in the project folder
}

// Logs bounds what Gantry keeps of tasks' output.
type Logs struct {
	// MaxSize caps each attempt's log, head and tail kept; 0 means the
	// executor's default (100 MiB).
	MaxSize int64
}

// MinLogSize is the smallest logs.max_size: room for a head, a tail and
// the mark between them.
const MinLogSize = 4 << 10

// Change risk classes, from the smallest change to the widest.
const (
	RiskL1 = "L1" // params or env values only
	RiskL2 = "L2" // task settings: retries, timeouts, resources, commands
	RiskL3 = "L3" // DAG shape, or a new pipeline
	RiskL4 = "L4" // several pipelines, or shared project settings
)

// Deployment gates.
const (
	GateCheck    = "check"    // the readiness gate passes
	GateStaging  = "staging"  // a staging run of the same content succeeded
	GateApproval = "approval" // the environment's approvals are given
	// GateReadiness: the readiness report (gantry readiness) is READY. It
	// applies to every class of a protected environment that
	// gantry.yaml's deploy.gates does not name, as the approval does.
	GateReadiness = "readiness"
)

// Gates are the gates deploy.gates may name.
var Gates = []string{GateCheck, GateStaging, GateApproval, GateReadiness}

// DeployPolicy maps each risk class to the gates a deployment of that class
// must pass. Gates is complete after parsing: classes gantry.yaml leaves out
// get DefaultGates.
type DeployPolicy struct {
	Gates map[string][]string
}

// DefaultGates are the gates of a class gantry.yaml does not name.
var DefaultGates = map[string][]string{
	RiskL1: {GateCheck},
	RiskL2: {GateCheck, GateStaging},
	RiskL3: {GateCheck, GateStaging, GateApproval},
	RiskL4: {GateCheck, GateStaging, GateApproval},
}

// ProjectEnvironment is an environment shared by every pipeline.
type ProjectEnvironment struct {
	Name       string
	Params     map[string]string
	Production bool
	Staging    bool
	Approval   Approval
	Secrets    *Secrets // nil: the project's
}

// Protected reports whether deployments to e need approvals.
func (e ProjectEnvironment) Protected() bool { return e.Approval.Required > 0 }

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
	Routes   []Route  // the named routes pipelines choose with `alerts: {route: NAME}`
	Grouping Grouping // defaults for every route
	// SchedulerLag: a scheduled run starting later than this after its
	// interval ended is an alert; 0 means 5m.
	SchedulerLag time.Duration
	// Retention is how long resolved alerts, deliveries and ended silences
	// are kept; 0 means 90 days. Test-fires are kept: the gate reads them.
	Retention time.Duration
	// Suppress lists the failure modes every pipeline's route may drop on
	// purpose, each with its reason.
	Suppress []AlertSuppress
}

// Grouping is how a route batches alerts into notifications, as in
// Alertmanager. A zero field inherits from the parent route; at the top
// the defaults are group_by [alertname, pipeline, env], group_wait 30s,
// group_interval 5m, repeat_interval 4h.
type Grouping struct {
	GroupBy        []string
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
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
// A pipeline's alerts carry the label route=NAME and enter the tree at the
// named route; its child routes, tried in order, send them on by their
// other labels. The first child that matches takes the alert, unless it
// says continue; when none matches, the route's own channels do.
type Route struct {
	Name     string            // set on the named (top) routes only
	Match    map[string]string // label equality; empty matches everything
	Channels []string
	On       []string // alert kinds, see AlertKinds; empty = all but success and retry
	Grouping Grouping
	Continue bool
	Routes   []Route
}

// AlertKinds are the kinds of alert a route can ask for in `on:`.
var AlertKinds = []string{
	"failure", "timeout", "memory", "lost", "retry", "sla", "freshness", "row_count",
	"degradation", "dead_letter", "scheduler_lag", "rollback", "success",
}

// PoolSlots maps each pool gantry.yaml declares to its slots; empty for
// a nil Project.
func (p *Project) PoolSlots() map[string]int {
	out := map[string]int{}
	if p != nil {
		for _, pl := range p.Pools {
			out[pl.Name] = pl.Slots
		}
	}
	return out
}

// LogLimit is logs.max_size; 0 (the default) for a project without a
// gantry.yaml.
func (p *Project) LogLimit() int64 {
	if p == nil {
		return 0
	}
	return p.Logs.MaxSize
}
