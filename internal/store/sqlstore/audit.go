package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	auditColumns = `id, at, actor, action, pipeline, env, revision, deployment_id, reason, detail`

	// auditLimit is ListAudit's page when the filter's Limit is 0.
	auditLimit = 200
)

// AppendAudit appends one audit event.
func (s *Store) AppendAudit(ctx context.Context, ev *record.AuditEvent) error {
	if err := s.db.WriteTx(ctx, func(tx *Tx) error { return s.appendAudit(tx, ev) }); err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// appendAuditFor appends ev, when set, as an event of deployment id.
func (s *Store) appendAuditFor(tx *Tx, ev *record.AuditEvent, id int64) error {
	if ev != nil && ev.DeploymentID == 0 {
		ev.DeploymentID = id
	}
	return s.appendAudit(tx, ev)
}

// appendAudit appends ev, when set, in tx and sets its ID and time.
func (s *Store) appendAudit(tx *Tx, ev *record.AuditEvent) error {
	if ev == nil {
		return nil
	}
	e := *ev
	if e.Time.IsZero() {
		e.Time = Now()
	}
	e.Time = deployTime(e.Time)
	var err error
	if e.ID, err = tx.Insert(InsertAuditSQL, s.t(e.Time), e.Actor, string(e.Action), e.Pipeline, e.Env, e.Revision,
		IDArg(e.DeploymentID), e.Reason, e.Detail); err != nil {
		return err
	}
	*ev = e
	return nil
}

// ListAudit returns the newest audit events f selects, oldest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]record.AuditEvent, error) {
	var w Where
	if f.Pipeline != "" {
		w.Add("pipeline = ?", f.Pipeline)
	}
	if !f.Since.IsZero() {
		w.Add("at >= ?", s.t(f.Since))
	}
	n := f.Limit
	if n == 0 {
		n = auditLimit
	}
	q, args := w.Query("SELECT "+auditColumns+" FROM audit_events", "id DESC", n)
	return queryAll(ctx, s, "list audit events", scanAudit, "SELECT * FROM ("+q+") newest ORDER BY id", args...)
}

func scanAudit(sc Scanner) (record.AuditEvent, error) {
	var e record.AuditEvent
	var at Time
	var dep ID
	var action string
	err := sc.Scan(&e.ID, &at, &e.Actor, &action, &e.Pipeline, &e.Env, &e.Revision, &dep, &e.Reason, &e.Detail)
	e.Time, e.Action, e.DeploymentID = at.T, record.AuditAction(action), dep.N
	return e, err
}

// deployTime is t as the store keeps it: UTC, whole microseconds.
func deployTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
