package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// taskNameRe is what a task id in a path may be (spec's task ids and more).
// As a regexp its bounded repetition compiled to 127 instructions at every
// gantry command's start.
var taskNameRe = spec.NewCharPattern("A-Za-z0-9_", "A-Za-z0-9_.-", 128)

// TaskApprovalView is an approval task of a run as its approvers see it:
// the question, who decided so far, and what is being approved.
type TaskApprovalView struct {
	RunID       int64                    `json:"run_id"`
	Task        string                   `json:"task"`
	AttemptID   int64                    `json:"attempt_id"`
	State       record.TaskApprovalState `json:"state"`
	Waiting     bool                     `json:"waiting"`
	Required    int                      `json:"required"`
	Approvers   []string                 `json:"approvers,omitempty"`
	Guards      []string                 `json:"guards,omitempty"`
	ApprovedBy  []string                 `json:"approved_by,omitempty"`
	TriggeredBy string                   `json:"triggered_by,omitempty"`
	CreatedAt   time.Time                `json:"created_at,omitzero"`
	Deadline    time.Time                `json:"deadline,omitzero"`
	DecidedAt   time.Time                `json:"decided_at,omitzero"`
	Reason      string                   `json:"reason,omitempty"`
	Decisions   []TaskDecisionView       `json:"decisions"`
	Params      map[string]string        `json:"params,omitempty"`
	Before      []TaskResultView         `json:"before"`
}

// TaskDecisionView is one person's decision on an approval task.
type TaskDecisionView struct {
	Actor   string    `json:"actor"`
	Approve bool      `json:"approve"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// TaskResultView is a task that had ended when the approval was asked.
type TaskResultView struct {
	Task    string           `json:"task"`
	State   record.TaskState `json:"state"`
	Outputs []record.Output  `json:"outputs,omitempty"`
}

// TaskApprovalList is a run's approval tasks, oldest first.
type TaskApprovalList struct {
	Approvals []TaskApprovalView `json:"approvals"`
}

// TaskDecisionRequest approves or rejects an approval task: a comment
// with an approval, a reason (required) with a rejection.
type TaskDecisionRequest struct {
	Comment string `json:"comment,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// NewTaskApprovalView is q as the API shows it.
func NewTaskApprovalView(q deploy.TaskQuestion) TaskApprovalView {
	a := q.Approval
	v := TaskApprovalView{RunID: a.RunID, Task: a.Task, AttemptID: a.AttemptID, State: a.State, Waiting: q.Waiting,
		Required: a.Required, Approvers: a.Approvers, Guards: a.Guards, ApprovedBy: a.Approved,
		TriggeredBy: q.Run.TriggeredBy, CreatedAt: utc(a.CreatedAt), Deadline: utc(a.Deadline),
		DecidedAt: utc(a.DecidedAt), Reason: a.Reason, Params: q.Run.Params,
		Decisions: make([]TaskDecisionView, 0, len(q.Decisions)), Before: make([]TaskResultView, 0, len(q.Before))}
	for _, d := range q.Decisions {
		v.Decisions = append(v.Decisions, TaskDecisionView{Actor: d.Actor, Approve: d.Approve, Comment: d.Comment, At: utc(d.At)})
	}
	for _, b := range q.Before {
		v.Before = append(v.Before, TaskResultView{Task: b.Task, State: b.State, Outputs: b.Outputs})
	}
	return v
}

func (h *handler) listTaskApprovals(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	qs, err := svc.TaskQuestions(r.Context(), id)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	list := TaskApprovalList{Approvals: make([]TaskApprovalView, 0, len(qs))}
	for _, q := range qs {
		list.Approvals = append(list.Approvals, NewTaskApprovalView(q))
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) approveTask(w http.ResponseWriter, r *http.Request) { h.decideTask(w, r, true) }
func (h *handler) rejectTask(w http.ResponseWriter, r *http.Request)  { h.decideTask(w, r, false) }

func (h *handler) decideTask(w http.ResponseWriter, r *http.Request, approve bool) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	task := r.PathValue("task")
	if !taskNameRe.MatchString(task) {
		h.fail(w, r, &FieldError{Field: "task", Msg: "want a task id: letters, digits, _ and -, at most 128"})
		return
	}
	var body TaskDecisionRequest
	if !h.deployBody(w, r, &body, !approve) {
		return
	}
	comment := body.Comment
	if !approve {
		if strings.TrimSpace(body.Reason) == "" {
			h.fail(w, r, &FieldError{Field: "reason", Msg: "is required"})
			return
		}
		comment = body.Reason
	}
	q, err := svc.DecideTask(r.Context(), actor(r), id, task, approve, comment)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NewTaskApprovalView(q))
}

// ReleaseView is what one run shipped into an environment.
type ReleaseView struct {
	ID          int64               `json:"id"`
	Pipeline    string              `json:"pipeline"`
	Env         string              `json:"env"`
	RunID       int64               `json:"run_id"`
	Revision    string              `json:"revision,omitempty"`
	Kind        record.ReleaseKind  `json:"kind"`
	Succeeded   bool                `json:"succeeded"`
	Params      map[string]string   `json:"params,omitempty"`
	Outputs     []record.TaskOutput `json:"outputs"`
	ApprovedBy  []string            `json:"approved_by,omitempty"`
	TriggeredBy string              `json:"triggered_by,omitempty"`
	CreatedAt   time.Time           `json:"created_at"`
	RollbackTo  int64               `json:"rollback_to,omitempty"`
}

// ReleaseList is a pipeline's releases into one environment, newest first.
type ReleaseList struct {
	Releases []ReleaseView `json:"releases"`
}

// NewReleaseView is r as the API shows it.
func NewReleaseView(r record.Release) ReleaseView {
	return ReleaseView{ID: r.ID, Pipeline: r.Pipeline, Env: r.Env, RunID: r.RunID, Revision: r.Revision, Kind: r.Kind,
		Succeeded: r.Succeeded, Params: r.Params, Outputs: r.Outputs, ApprovedBy: r.ApprovedBy, TriggeredBy: r.TriggeredBy,
		CreatedAt: utc(r.CreatedAt), RollbackTo: r.RollbackTo}
}

func (h *handler) listReleases(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	env := r.URL.Query().Get("env")
	if env == "" {
		h.fail(w, r, &FieldError{Field: "env", Msg: "is required: the environment released into"})
		return
	}
	limit, err := queryLimit(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rs, err := svc.Releases(r.Context(), r.PathValue("name"), env, limit)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	list := ReleaseList{Releases: make([]ReleaseView, 0, len(rs))}
	for _, rel := range rs {
		if rel.Outputs == nil {
			rel.Outputs = []record.TaskOutput{}
		}
		list.Releases = append(list.Releases, NewReleaseView(rel))
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) rollbackRelease(w http.ResponseWriter, r *http.Request) {
	var body ReleaseRollbackRequest
	if err := decodeBody(w, r, &body, true); err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case body.Env == "":
		h.fail(w, r, &FieldError{Field: "env", Msg: "is required: the environment to roll back"})
		return
	case strings.TrimSpace(body.Reason) == "":
		h.fail(w, r, &FieldError{Field: "reason", Msg: "is required"})
		return
	case body.To < 0:
		h.fail(w, r, &FieldError{Field: "to", Msg: "must be a release number"})
		return
	}
	body.Pipeline, body.Actor = r.PathValue("name"), actor(r)
	run, err := h.svc.RollbackRelease(r.Context(), body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newRunView(run, nil))
}
