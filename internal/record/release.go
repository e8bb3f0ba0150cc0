package record

import "time"

// ReleaseKind says how a release came about.
type ReleaseKind string

// Release kinds.
const (
	ReleaseDeploy   ReleaseKind = "deploy"   // a run shipped what it built
	ReleaseRollback ReleaseKind = "rollback" // a run shipped an earlier release again
)

// Release is what one run of a delivery pipeline shipped into an
// environment: the run's params and what its tasks reported, who started
// and who approved it, and whether its tasks there (the deploy and the
// checks after it) succeeded.
type Release struct {
	ID          int64
	Pipeline    string
	Env         string
	RunID       int64
	Revision    string
	Kind        ReleaseKind
	Succeeded   bool // every task of the run succeeded (or was skipped)
	Params      map[string]string
	Outputs     []TaskOutput
	ApprovedBy  []string
	TriggeredBy string
	CreatedAt   time.Time // when the run ended
	RollbackTo  int64     // the earlier release a rollback shipped again; 0 otherwise
}

// TaskOutput is one figure a task of a run reported.
type TaskOutput struct {
	Task  string `json:"task"`
	Key   string `json:"key"`
	Value string `json:"value"`
}
