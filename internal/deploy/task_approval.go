package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// TaskQuestion is an approval task of a run as its approvers see it: the
// question, the decisions so far, and what is being approved — the run's
// params and the tasks that had ended when it was asked, with what they
// reported (a build's version and digest, the staging deploy's result).
type TaskQuestion struct {
	Approval  record.TaskApproval
	Decisions []record.TaskDecision
	Run       record.Run
	// Waiting: the task waits for this decision now.
	Waiting bool
	Before  []TaskResult
}

// TaskResult is one task of the run as it stood when a question was
// asked.
type TaskResult struct {
	Task    string
	State   record.TaskState
	Outputs []record.Output
}

// TaskQuestions returns every approval asked in a run, oldest first.
func (s *Service) TaskQuestions(ctx context.Context, runID int64) ([]TaskQuestion, error) {
	run, err := s.st.GetRun(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("run %d: %w", runID, err)
	}
	aps, err := s.st.ListTaskApprovals(ctx, runID)
	if err != nil || len(aps) == 0 {
		return nil, err
	}
	tasks, err := s.st.ListRunTasks(ctx, runID)
	if err != nil {
		return nil, err
	}
	attempts, err := s.st.ListAttempts(ctx, runID, "")
	if err != nil {
		return nil, err
	}
	state := map[string]record.TaskState{}
	for _, t := range tasks {
		state[t.Task] = t.State
	}
	out := make([]TaskQuestion, 0, len(aps))
	for _, ap := range aps {
		q := TaskQuestion{Approval: ap, Run: run,
			Waiting: ap.State == record.ApprovalWaiting && state[ap.Task] == record.TaskWaitingApproval}
		if ap.State == record.ApprovalWaiting && !q.Waiting && state[ap.Task].Final() {
			// Its task ended without a decision (a cancelled run whose
			// question the store did not close): it asks nothing now.
			q.Approval.State = record.ApprovalCancelled
		}
		if q.Decisions, err = s.st.ListTaskDecisions(ctx, ap.AttemptID); err != nil {
			return nil, err
		}
		// The last attempt of each other task that had ended when asked.
		last := map[string]record.TaskAttempt{}
		for _, a := range attempts {
			if a.Task != ap.Task && a.State.Final() && !a.FinishedAt.After(ap.CreatedAt) {
				last[a.Task] = a
			}
		}
		for _, t := range tasks {
			if a, ok := last[t.Task]; ok {
				q.Before = append(q.Before, TaskResult{Task: t.Task, State: a.State, Outputs: a.Outputs})
			} else if t.Task != ap.Task && state[t.Task] == record.TaskSkipped {
				q.Before = append(q.Before, TaskResult{Task: t.Task, State: record.TaskSkipped})
			}
		}
		out = append(out, q)
	}
	return out, nil
}

// DecideTask records actor's approval (or, when approve is false, the
// rejection) of the approval task named task in run runID, which must be
// waiting for it. Nobody may decide on a run they started, nor anyone
// outside the task's approvers when it names them; an approval guarding a
// protected environment needs an authenticated identity. A rejection
// needs a reason. The decision and its audit event are stored together;
// the waiting attempt is then woken.
func (s *Service) DecideTask(ctx context.Context, actor string, runID int64, task string, approve bool, comment string) (TaskQuestion, error) {
	verb := "approve"
	if !approve {
		verb = "reject"
	}
	if actor == "" {
		return TaskQuestion{}, fmt.Errorf("%w: no actor", ErrInvalid)
	}
	if !approve && strings.TrimSpace(comment) == "" {
		return TaskQuestion{}, fmt.Errorf("%w: rejecting needs a reason", ErrInvalid)
	}
	if len(comment) > MaxDecisionText {
		return TaskQuestion{}, fmt.Errorf("%w: a comment or reason is at most %d bytes (this one is %d)", ErrInvalid, MaxDecisionText, len(comment))
	}
	qs, err := s.TaskQuestions(ctx, runID)
	if err != nil {
		return TaskQuestion{}, err
	}
	var q *TaskQuestion
	for i := range qs {
		if qs[i].Approval.Task == task {
			q = &qs[i] // the newest attempt's, as they are oldest first
		}
	}
	if q == nil {
		return TaskQuestion{}, fmt.Errorf("%w: run %d has no approval task %q that has asked (see gantry approvals %d)", ErrNotFound, runID, task, runID)
	}
	ap := q.Approval
	if !q.Waiting && ap.State == record.ApprovalWaiting {
		return TaskQuestion{}, fmt.Errorf("%w: task %s of run %d is no longer waiting for approval", ErrConflict, task, runID)
	}
	if !q.Waiting {
		return TaskQuestion{}, fmt.Errorf("%w: task %s of run %d is not waiting for approval (its approval is %s)", ErrConflict, task, runID, ap.State)
	}
	starters, err := s.starters(ctx, q.Run)
	if err != nil {
		return TaskQuestion{}, err
	}
	if slices.Contains(starters, actor) {
		return TaskQuestion{}, fmt.Errorf("%w: you started run %d (or replayed it); another person must %s %s", ErrForbidden, runID, verb, task)
	}
	if len(ap.Approvers) > 0 && !slices.Contains(ap.Approvers, actor) {
		return TaskQuestion{}, fmt.Errorf("%w: %s may not %s %s of run %d (approvers: %s)", ErrForbidden, actor, verb, task, runID, strings.Join(ap.Approvers, ", "))
	}
	if s.unauthenticated && len(ap.Guards) > 0 {
		return TaskQuestion{}, fmt.Errorf("%w: %s guards protected %s: deciding it needs an authenticated identity: run gantry serve and %s through it with your API token (--server URL --token T)",
			ErrForbidden, task, strings.Join(ap.Guards, ", "), verb)
	}
	action := record.AuditTaskApprove
	if !approve {
		action = record.AuditTaskReject
	}
	ev := &record.AuditEvent{Time: s.now(), Actor: actor, Action: action, Pipeline: q.Run.Pipeline, Env: q.Run.Env,
		Revision: q.Run.Revision, Reason: comment, Detail: fmt.Sprintf("run %d task %s", runID, task)}
	got, err := s.st.DecideTaskApproval(ctx, record.TaskDecision{AttemptID: ap.AttemptID, Actor: actor, Approve: approve,
		Comment: comment, At: s.now()}, ev)
	if err != nil {
		return TaskQuestion{}, err
	}
	if s.kick != nil {
		s.kick(ap.AttemptID)
	}
	q.Approval = got
	q.Waiting = got.State == record.ApprovalWaiting
	if q.Decisions, err = s.st.ListTaskDecisions(ctx, ap.AttemptID); err != nil {
		return TaskQuestion{}, err
	}
	return *q, nil
}

// MaxDecisionText is the longest comment or reason a decision takes: it
// travels into the task's error, the run's and the audit log.
const MaxDecisionText = 2000

// starters are who may not decide a run's approvals: who started it and
// who replayed any of its dead letters (a replay asks again).
func (s *Service) starters(ctx context.Context, run record.Run) ([]string, error) {
	var out []string
	if run.TriggeredBy != "" {
		out = append(out, run.TriggeredBy)
	}
	dls, err := s.st.ListDeadLetters(ctx, store.DeadLetterFilter{Pipeline: run.Pipeline, Limit: 10000})
	if err != nil {
		return nil, err
	}
	for _, d := range dls {
		if d.RunID == run.ID && d.ReplayedBy != "" && !slices.Contains(out, d.ReplayedBy) {
			out = append(out, d.ReplayedBy)
		}
	}
	return out, nil
}
