package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
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
		return TaskQuestion{}, fmt.Errorf("%w: run %d has no approval task %q waiting (see gantry status %d)", ErrNotFound, runID, task, runID)
	}
	ap := q.Approval
	if !q.Waiting {
		return TaskQuestion{}, fmt.Errorf("%w: task %s of run %d is not waiting for approval (its approval is %s)", ErrConflict, task, runID, ap.State)
	}
	if q.Run.TriggeredBy != "" && actor == q.Run.TriggeredBy {
		return TaskQuestion{}, fmt.Errorf("%w: you started run %d; another person must %s %s", ErrForbidden, runID, verb, task)
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
