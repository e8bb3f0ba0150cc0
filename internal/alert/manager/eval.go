package manager

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Target is a pipeline and an environment it runs in.
type Target struct {
	Pipeline *spec.Pipeline
	Env      string // "" is the local (dev) environment
	// Since is when the pipeline was deployed to Env. Time conditions (SLA,
	// freshness, scheduler lag) ignore what fell due before it; zero means
	// no bound.
	Since time.Time
}

// Alert names, one per condition. Each has a runbook anchor (routing.Anchor).
const (
	NameRunFailed        = routing.NameRunFailed
	NameRunTimedOut      = routing.NameRunTimedOut
	NameTaskOutOfMemory  = routing.NameTaskOutOfMemory
	NameTaskLost         = routing.NameTaskLost
	NameTaskRetried      = routing.NameTaskRetried
	NameRunSucceeded     = routing.NameRunSucceeded
	NameSLAMissed        = routing.NameSLAMissed
	NameDataStale        = routing.NameDataStale
	NameRowCountLow      = routing.NameRowCountLow
	NameRowCountDropped  = routing.NameRowCountDropped
	NameRowCountMissing  = routing.NameRowCountMissing
	NameRunSlow          = routing.NameRunSlow
	NameRetryRateHigh    = routing.NameRetryRateHigh
	NameDeadLetters      = routing.NameDeadLetters
	NameSchedulerLagging = routing.NameSchedulerLagging
	NameRolledBack       = routing.NameRolledBack
	NameRevisionTampered = routing.NameRevisionTampered
	NameTest             = routing.NameTest
)

// Annotation keys.
const (
	AnnSummary    = "summary"
	AnnDetails    = "details"
	AnnRunURL     = "run_url"
	AnnRunbookURL = "runbook_url"
)

// eval is one evaluation pass: the alerts whose conditions hold now, and
// the earliest instant a condition may change without any run changing.
type eval struct {
	m        *Manager
	ctx      context.Context
	now      time.Time
	project  *spec.Project
	tree     *routing.Tree
	alerts   map[string]record.Alert // candidates by fingerprint
	failed   map[string]bool         // "pipeline\x00env" whose conditions could not be read
	wake     time.Time
	runCache map[int64]record.Run
	paused   map[string]bool
}

// wakeAt asks for an evaluation at t.
func (e *eval) wakeAt(t time.Time) {
	if t.After(e.now) && (e.wake.IsZero() || t.Before(e.wake)) {
		e.wake = t
	}
}

// targetData is what the conditions of one target read, fetched once.
type targetData struct {
	t         Target
	runs      []record.Run // newest first, this env only
	succeeded []record.Run // newest first, this env only
}

func (e *eval) target(t Target) error {
	p := t.Pipeline
	runs, err := e.m.cfg.Store.ListRuns(e.ctx, store.RunFilter{Pipeline: p.Name, Limit: 200})
	if err != nil {
		return err
	}
	ok, err := e.m.cfg.Store.ListRuns(e.ctx, store.RunFilter{Pipeline: p.Name, States: []record.RunState{record.RunSucceeded}, Limit: 200})
	if err != nil {
		return err
	}
	otherEnv := func(r record.Run) bool { return r.Env != t.Env }
	d := &targetData{t: t, runs: slices.DeleteFunc(runs, otherEnv), succeeded: slices.DeleteFunc(ok, otherEnv)}
	for _, r := range d.runs {
		e.runCache[r.ID] = r
	}
	for _, f := range []func(*targetData) error{
		e.failures, e.events, e.sla, e.freshness, e.schedulerLag, e.rowCounts, e.degradation, e.retryRate, e.deadLetters,
	} {
		if err := f(d); err != nil {
			return err
		}
	}
	return nil
}

// add records a candidate alert for target t.
func (e *eval) add(t Target, name, kind string, extra, ann map[string]string, runID int64) {
	p := t.Pipeline
	labels := routing.AlertLabels(p, t.Env, name, routing.Severity(kind, e.production(t.Env)), extra)
	ann = maps.Clone(ann)
	if ann == nil {
		ann = map[string]string{}
	}
	if runID != 0 && e.m.cfg.BaseURL != "" {
		ann[AnnRunURL] = e.m.runURL(runID)
	}
	if u := e.m.runbookURL(p, routing.Anchor(name)); u != "" {
		ann[AnnRunbookURL] = u
	}
	a := record.Alert{
		Fingerprint: Fingerprint(labels), Name: name, Kind: kind, Pipeline: p.Name, Env: t.Env,
		Labels: labels, Annotations: ann, State: record.AlertFiring, RunID: runID,
	}
	e.alerts[a.Fingerprint] = e.m.redactAlert(a)
}

// production reports whether env is a production environment: marked so
// in gantry.yaml, or named prod or production.
func (e *eval) production(env string) bool {
	if env == "prod" || env == "production" {
		return true
	}
	for _, pe := range e.project.Environments {
		if pe.Name == env {
			return pe.Production
		}
	}
	return false
}

func envText(env string) string {
	if env == "" {
		return "local"
	}
	return env
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// summaryf formats an alert's one-line summary. Channels put the pipeline
// and environment in front of it, so it does not repeat them.
func summaryf(_ Target, format string, args ...any) string {
	return fmt.Sprintf(format, args...)
}
