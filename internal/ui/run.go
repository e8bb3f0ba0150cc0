package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// errNotFound is a page about something that does not exist.
var errNotFound = errors.New("not found")

type runPage struct {
	Run         record.Run
	Tasks       []record.RunTask
	Attempts    []record.TaskAttempt
	Nodes       []taskDetail
	DAG         template.HTML
	Gantt       template.HTML
	DeadLetters []record.DeadLetter
	Limits      map[string]int64 // task → memory limit, bytes
	Approvals   []approvalPanel
}

// approvalPanel is one approval task of the run: what it asks, and
// whether this session may decide it.
type approvalPanel struct {
	Q         deploy.TaskQuestion
	CanDecide bool
	NotYou    string // why no buttons are offered, when the task waits
}

// taskDetail is one DAG node's panel: the task and its attempts.
type taskDetail struct {
	Task     string
	State    record.TaskState
	Needs    []string
	Attempts []record.TaskAttempt
	Limit    int64
}

func (p runPage) refresh() int {
	if p.Run.State.Final() {
		return 0
	}
	return 5
}

func (h *handler) run(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		h.fail(w, r, fmt.Errorf("%w: there is no run %q", errNotFound, r.PathValue("id")))
		return
	}
	run, tasks, err := h.src.GetRun(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, fmt.Errorf("%w: there is no run %d", errNotFound, id))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	atts, err := h.src.ListAttempts(r.Context(), id, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := runPage{Run: run, Tasks: tasks, Attempts: atts, Limits: map[string]int64{}}
	ps := h.pipelineSpec(r.Context(), run.Pipeline)
	page.Nodes, page.Limits = taskDetails(ps, tasks, atts)
	nodes := make([]dagNode, 0, len(page.Nodes))
	for _, n := range page.Nodes {
		nodes = append(nodes, dagNode{ID: n.Task, Needs: n.Needs, State: string(n.State), Attempts: len(n.Attempts)})
	}
	page.DAG = dagSVG(nodes)
	page.Gantt = ganttSVG(tasks, atts, h.Now())
	if h.Service != nil {
		dls, err := h.Service.ListDeadLetters(r.Context(), store.DeadLetterFilter{Pipeline: run.Pipeline, Unreplayed: true, Limit: 200})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, d := range dls {
			if d.RunID == run.ID {
				page.DeadLetters = append(page.DeadLetters, d)
			}
		}
	}
	if h.Deploy != nil {
		qs, err := h.Deploy.TaskQuestions(r.Context(), run.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		page.Approvals = approvalPanels(sessionFrom(r.Context()), qs)
	}
	h.page(w, r, "run.html", fmt.Sprintf("Run %d of %s", run.ID, run.Pipeline), "home", page)
}

// approvalPanels says, for each approval, whether session s may decide
// it: the API decides in the end; this only picks the buttons to offer.
func approvalPanels(s session, qs []deploy.TaskQuestion) []approvalPanel {
	v := view{User: s.Principal}
	// The newest attempt's question per task: a replay asks again.
	newest := map[string]int{}
	for i, q := range qs {
		newest[q.Approval.Task] = i
	}
	out := make([]approvalPanel, 0, len(qs))
	for i, q := range qs {
		if newest[q.Approval.Task] != i {
			continue
		}
		p := approvalPanel{Q: q}
		switch {
		case !q.Waiting:
		case !v.Can("approve"):
			p.NotYou = "Your role (" + s.Role + ") may not decide this; an approver or admin must."
		case s.User == q.Run.TriggeredBy:
			p.NotYou = "You started this run; another person must approve it."
		case len(q.Approval.Approvers) > 0 && !slices.Contains(q.Approval.Approvers, s.User):
			p.NotYou = "Only " + strings.Join(q.Approval.Approvers, ", ") + " may decide this."
		default:
			p.CanDecide = true
		}
		out = append(out, p)
	}
	return out
}

// taskDetails joins a run's tasks with the spec's needs and limits and
// the attempts of each: the spec's tasks in its order, then any the run
// has that the spec (as loaded now) does not.
func taskDetails(ps *spec.Pipeline, tasks []record.RunTask, atts []record.TaskAttempt) ([]taskDetail, map[string]int64) {
	limits := map[string]int64{}
	state := map[string]record.TaskState{}
	for _, t := range tasks {
		state[t.Task] = t.State
	}
	var out []taskDetail
	seen := map[string]bool{}
	if ps != nil {
		for _, t := range ps.Tasks {
			if _, inRun := state[t.ID]; !inRun && len(tasks) > 0 {
				continue
			}
			seen[t.ID] = true
			limits[t.ID] = t.Resources.Memory
			out = append(out, taskDetail{Task: t.ID, State: state[t.ID], Needs: t.Needs, Limit: t.Resources.Memory})
		}
	}
	for _, t := range tasks {
		if !seen[t.Task] {
			out = append(out, taskDetail{Task: t.Task, State: t.State})
		}
	}
	pos := map[string]int{}
	for i, d := range out {
		pos[d.Task] = i
	}
	for _, a := range atts {
		if i, ok := pos[a.Task]; ok {
			out[i].Attempts = append(out[i].Attempts, a)
		}
	}
	return out, limits
}

// pipelineSpec is the loaded spec of pipeline, or nil.
func (h *handler) pipelineSpec(ctx context.Context, name string) *spec.Pipeline {
	p, ok := h.loadedPipeline(ctx, name)
	if !ok {
		return nil
	}
	return p.Spec
}

// loadedPipeline finds one of the server's pipelines by name.
func (h *handler) loadedPipeline(ctx context.Context, name string) (api.Pipeline, bool) {
	if h.Service == nil {
		return api.Pipeline{}, false
	}
	ps, err := h.Service.Pipelines(ctx)
	if err != nil {
		return api.Pipeline{}, false
	}
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return api.Pipeline{}, false
}

// maxLogBytes is how much of a log's end a page shows.
const maxLogBytes = 256 << 10

type logPage struct {
	RunID     int64
	Attempt   record.TaskAttempt
	Text      string
	Truncated bool
	Live      bool  // the attempt is running: live.js tails it
	Offset    int64 // where the tail goes on reading
}

// attemptLog shows one attempt's captured output (already redacted of
// secrets when it was written), its last maxLogBytes.
func (h *handler) attemptLog(w http.ResponseWriter, r *http.Request) {
	a, ok := h.findAttempt(w, r)
	if !ok {
		return
	}
	page := logPage{RunID: a.RunID, Attempt: a, Live: !a.State.Final()}
	var err error
	page.Text, page.Truncated, page.Offset, err = h.tail(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.page(w, r, "log.html", fmt.Sprintf("Log of %s #%d", a.Task, a.Attempt), "home", page)
}

// attemptLogText serves the log from ?offset= on as plain text, for the
// live tail: X-Log-Offset says where the next read starts, X-Log-Done
// that the attempt has ended and nothing more will come.
func (h *handler) attemptLogText(w http.ResponseWriter, r *http.Request) {
	a, ok := h.findAttempt(w, r)
	if !ok {
		return
	}
	off, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || off < 0 {
		off = 0
	}
	text, next, err := h.readFrom(r.Context(), a, off)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Log-Offset", strconv.FormatInt(next, 10))
	if a.State.Final() {
		w.Header().Set("X-Log-Done", "1")
	}
	_, _ = w.Write(text)
}

// findAttempt reads the attempt a path names, or writes the 404.
func (h *handler) findAttempt(w http.ResponseWriter, r *http.Request) (record.TaskAttempt, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	aid, aerr := strconv.ParseInt(r.PathValue("attempt"), 10, 64)
	if err != nil || aerr != nil {
		h.fail(w, r, fmt.Errorf("%w: no such attempt", errNotFound))
		return record.TaskAttempt{}, false
	}
	atts, err := h.src.ListAttempts(r.Context(), id, "")
	if err != nil {
		h.fail(w, r, err)
		return record.TaskAttempt{}, false
	}
	for _, a := range atts {
		if a.ID == aid {
			if a.RunID == 0 {
				a.RunID = id
			}
			return a, true
		}
	}
	h.fail(w, r, fmt.Errorf("%w: run %d has no attempt %d", errNotFound, id, aid))
	return record.TaskAttempt{}, false
}

// tail reads the last maxLogBytes of a's log and its size; a log not
// written yet is empty.
func (h *handler) tail(ctx context.Context, a record.TaskAttempt) (string, bool, int64, error) {
	l, err := h.logs.Open(ctx, a)
	if errors.Is(err, logs.ErrNoOutput) {
		return "", false, 0, nil
	}
	if err != nil {
		return "", false, 0, err
	}
	defer l.Close()
	b, truncated, err := logs.Tail(l, maxLogBytes)
	if err != nil {
		return "", false, 0, err
	}
	return string(b), truncated, l.Size(), nil
}

// maxTailRead is how much one live-tail read returns.
const maxTailRead = 64 << 10

// readFrom reads a's log from off on, at most maxTailRead, and where the
// next read starts.
func (h *handler) readFrom(ctx context.Context, a record.TaskAttempt, off int64) ([]byte, int64, error) {
	l, err := h.logs.Open(ctx, a)
	if errors.Is(err, logs.ErrNoOutput) {
		return nil, off, nil
	}
	if err != nil {
		return nil, off, err
	}
	defer l.Close()
	b, err := io.ReadAll(io.LimitReader(logs.From(l, off), maxTailRead))
	if err != nil {
		return nil, off, err
	}
	return b, off + int64(len(b)), nil
}
