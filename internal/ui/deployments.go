package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

type deploymentsPage struct {
	Pending       []record.Deployment
	History       []record.Deployment
	Pipeline, Env string
}

func (h *handler) deployments(w http.ResponseWriter, r *http.Request) {
	if h.Deploy == nil {
		h.fail(w, r, fmt.Errorf("%w: deployments are not enabled on this server", errNotFound))
		return
	}
	q := r.URL.Query()
	page := deploymentsPage{Pipeline: strings.TrimSpace(q.Get("pipeline")), Env: strings.TrimSpace(q.Get("env"))}
	var err error
	page.Pending, err = h.Deploy.Deployments(r.Context(), store.DeploymentFilter{Pipeline: page.Pipeline, Env: page.Env,
		States: []record.DeploymentState{record.DeploymentPending}, Limit: 100})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page.History, err = h.Deploy.Deployments(r.Context(), store.DeploymentFilter{Pipeline: page.Pipeline, Env: page.Env, Limit: 100})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.page(w, r, "deployments.html", "Deployments", "deployments", page)
}

// revisionDiffer compares two revisions, as deploy.Service does.
type revisionDiffer interface {
	DiffRevisions(ctx context.Context, from, to string) (*deploy.Diff, error)
}

type deploymentPage struct {
	D          record.Deployment
	Approvals  []record.Approval
	Waiting    []string
	Diff       *deploy.Diff
	DiffErr    string
	Revision   record.Revision
	Readiness  *readiness.Report // attached to the deployment; nil when none is
	CanApprove bool              // this session's role approves and it is not the author's
	NotYou     string            // why the approve button is not offered, when it is not
}

func (h *handler) deployment(w http.ResponseWriter, r *http.Request) {
	if h.Deploy == nil {
		h.fail(w, r, fmt.Errorf("%w: deployments are not enabled on this server", errNotFound))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		h.fail(w, r, fmt.Errorf("%w: there is no deployment %q", errNotFound, r.PathValue("id")))
		return
	}
	d, approvals, waiting, err := h.Deploy.Deployment(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, fmt.Errorf("%w: there is no deployment %d", errNotFound, id))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page := deploymentPage{D: d, Approvals: approvals, Waiting: waiting}
	diff, err := h.Deploy.Diff(r.Context(), d.Pipeline, d.Env, d.Revision)
	if rd, ok := h.Deploy.(revisionDiffer); ok && !d.ActivatedAt.IsZero() {
		// What it changed when it was made: against the revision it
		// replaced, not against what runs now.
		diff, err = rd.DiffRevisions(r.Context(), d.Previous, d.Revision)
	}
	if err == nil {
		page.Diff = diff
	} else {
		page.DiffErr = err.Error()
	}
	if page.Readiness, err = h.Deploy.DeploymentReadiness(r.Context(), d.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	if revs, err := h.Deploy.Revisions(r.Context(), d.Pipeline, 100); err == nil {
		for _, rev := range revs {
			if rev.Hash == d.Revision {
				page.Revision = rev
			}
		}
	}
	s := sessionFrom(r.Context())
	v := view{User: s.Principal}
	switch {
	case d.State != record.DeploymentPending:
	case !v.Can("approve"):
		page.NotYou = "Your role (" + s.Role + ") may not approve; an approver or admin must."
	case s.User == d.CreatedBy:
		page.NotYou = "You deployed this; another person must approve it."
	default:
		page.CanApprove = true
	}
	h.page(w, r, "deployment.html", fmt.Sprintf("Deployment %d", d.ID), "deployments", page)
}

type auditPage struct {
	Events          []record.AuditEvent
	Pipeline, Since string
	Action, Actor   string
	Limit           int
}

// audit shows the audit log, newest first, filtered by pipeline and
// date in the store and by action and actor on the page.
func (h *handler) audit(w http.ResponseWriter, r *http.Request) {
	if h.Deploy == nil {
		h.fail(w, r, fmt.Errorf("%w: the audit log is not enabled on this server", errNotFound))
		return
	}
	q := r.URL.Query()
	page := auditPage{Pipeline: strings.TrimSpace(q.Get("pipeline")), Since: strings.TrimSpace(q.Get("since")),
		Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")), Limit: 500}
	f := store.AuditFilter{Pipeline: page.Pipeline, Limit: page.Limit}
	if page.Since != "" {
		t, err := time.Parse(time.DateOnly, page.Since)
		if err != nil {
			h.fail(w, r, fmt.Errorf("%w: since: %q is not a date like 2026-05-01", errBadInput, page.Since))
			return
		}
		f.Since = t
	}
	evs, err := h.Deploy.Audit(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if (page.Action == "" || string(e.Action) == page.Action) && (page.Actor == "" || e.Actor == page.Actor) {
			page.Events = append(page.Events, e)
		}
	}
	h.page(w, r, "audit.html", "Audit log", "audit", page)
}
