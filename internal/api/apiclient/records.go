package apiclient

import (
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
)

// The API's views back into the records the local backend returns, so
// that a command is written once against records, locally and remotely.

func runRecord(v api.RunView) (record.Run, []record.RunTask) {
	run := record.Run{ID: v.ID, Pipeline: v.Pipeline, Env: v.Env, Revision: v.Revision,
		IntervalStart: v.IntervalStart, IntervalEnd: v.IntervalEnd, Trigger: v.Trigger, State: v.State,
		Params: v.Params, CreatedAt: v.CreatedAt, StartedAt: v.StartedAt, FinishedAt: v.FinishedAt,
		Error: v.Error, BackfillID: v.BackfillID, TriggeredBy: v.TriggeredBy, RollbackTo: v.RollbackTo}
	tasks := make([]record.RunTask, len(v.Tasks))
	for i, t := range v.Tasks {
		tasks[i] = record.RunTask{RunID: v.ID, Task: t.Task, State: t.State, Attempts: t.Attempts,
			NextAttempt: t.NextAttempt, UpdatedAt: t.UpdatedAt}
	}
	return run, tasks
}

func attemptRecord(v api.AttemptView) record.TaskAttempt {
	a := record.TaskAttempt{ID: v.ID, RunID: v.RunID, Task: v.Task, Attempt: v.Attempt, State: v.State,
		QueuedAt: v.QueuedAt, StartedAt: v.StartedAt, FinishedAt: v.FinishedAt, PID: v.PID,
		ExitCode: v.ExitCode, Signal: v.Signal, PeakMemory: v.PeakMemoryBytes,
		CPUTime: time.Duration(v.CPUTimeSeconds * float64(time.Second)), LogPath: v.LogPath, OutputErrors: v.OutputErrors, Error: v.Error}
	for _, o := range v.Outputs {
		a.Outputs = append(a.Outputs, record.Output{Key: o.Key, Value: o.Value})
	}
	return a
}

func deadLetterRecord(v api.DeadLetterView) record.DeadLetter {
	return record.DeadLetter{ID: v.ID, RunID: v.RunID, Pipeline: v.Pipeline, Task: v.Task, AttemptID: v.AttemptID,
		Attempts: v.Attempts, Error: v.Error, CreatedAt: v.CreatedAt, ReplayedAt: v.ReplayedAt, ReplayedBy: v.ReplayedBy}
}

func deploymentRecord(v api.DeploymentView) record.Deployment {
	return record.Deployment{
		ID: v.ID, Pipeline: v.Pipeline, Env: v.Env, Revision: v.Revision, State: v.State, Risk: v.Risk,
		Gates: v.Gates, Approvals: v.ApprovalsRequired, Approvers: v.Approvers, CreatedBy: v.CreatedBy,
		CreatedAt: v.CreatedAt, ActivatedAt: v.ActivatedAt, EndedAt: v.EndedAt, Previous: v.Previous,
		Message: v.Message, Reason: v.Reason,
	}
}

func approvalRecords(v api.DeploymentView) []record.Approval {
	var out []record.Approval
	for _, a := range v.Approvals {
		out = append(out, record.Approval{DeploymentID: v.ID, User: a.User, Comment: a.Comment, CreatedAt: a.CreatedAt})
	}
	return out
}

func revisionRecord(v api.RevisionView) record.Revision {
	r := record.Revision{
		Hash: v.Hash, Pipeline: v.Pipeline, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, Message: v.Message,
		CheckSummary: v.CheckSummary, StagingRunID: v.StagingRunID, StagingState: v.StagingState,
	}
	for _, f := range v.Files {
		r.Files = append(r.Files, record.RevisionFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Context: f.Context})
	}
	return r
}

func diffRecord(v api.DiffView) *deploy.Diff {
	d := &deploy.Diff{Pipeline: v.Pipeline, From: v.From, To: v.To, Risk: v.Risk}
	for _, c := range v.Changes {
		d.Changes = append(d.Changes, deploy.Change{Class: c.Class, Text: c.Text})
	}
	for _, f := range v.Files {
		d.Files = append(d.Files, deploy.FileDiff{Path: f.Path, Class: f.Class, Unified: f.Unified})
	}
	return d
}

func resultRecord(v api.DeployResultView) *deploy.Result {
	res := &deploy.Result{
		Deployment: deploymentRecord(v.Deployment), Revision: revisionRecord(v.Revision),
		NewRevision: v.NewRevision, Unchanged: v.Unchanged, Waiting: v.Waiting,
	}
	if v.Diff != nil {
		res.Diff = diffRecord(*v.Diff)
	}
	if v.StagingRun != nil {
		run, _ := runRecord(*v.StagingRun)
		res.Staging = &run
	}
	return res
}

func auditRecord(v api.AuditEventView) record.AuditEvent {
	return record.AuditEvent{ID: v.ID, Time: v.Time, Actor: v.Actor, Action: v.Action, Pipeline: v.Pipeline,
		Env: v.Env, Revision: v.Revision, DeploymentID: v.DeploymentID, Reason: v.Reason, Detail: v.Detail}
}

func tokenRecord(v api.TokenView) record.Token {
	return record.Token{ID: v.ID, User: v.User, Role: v.Role, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt,
		RevokedAt: v.RevokedAt, RevokedBy: v.RevokedBy}
}

// mapSlice maps every view of vs.
func mapSlice[V, R any](vs []V, f func(V) R) []R {
	out := make([]R, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

func taskQuestion(v api.TaskApprovalView) deploy.TaskQuestion {
	q := deploy.TaskQuestion{
		Approval: record.TaskApproval{AttemptID: v.AttemptID, RunID: v.RunID, Task: v.Task, Required: v.Required,
			Approvers: v.Approvers, Guards: v.Guards, State: v.State, CreatedAt: v.CreatedAt, Deadline: v.Deadline,
			DecidedAt: v.DecidedAt, Reason: v.Reason, Approved: v.ApprovedBy},
		Run:     record.Run{ID: v.RunID, Params: v.Params, TriggeredBy: v.TriggeredBy},
		Waiting: v.Waiting,
	}
	for _, d := range v.Decisions {
		q.Decisions = append(q.Decisions, record.TaskDecision{AttemptID: v.AttemptID, Actor: d.Actor, Approve: d.Approve, Comment: d.Comment, At: d.At})
	}
	for _, b := range v.Before {
		q.Before = append(q.Before, deploy.TaskResult{Task: b.Task, State: b.State, Outputs: b.Outputs})
	}
	return q
}
