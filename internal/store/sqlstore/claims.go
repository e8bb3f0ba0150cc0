package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The channels a driver that shares its store between processes notifies
// (Dialect.Notify): a claim was queued; a claim ended (its attempt's ID).
const (
	ClaimsQueuedChannel = "gantry_claims_queued"
	ClaimsEndedChannel  = "gantry_claims_ended"
)

const claimColumns = `attempt_id, run_id, task, pool, labels, payload, state, worker, token, cancel, result,
	queued_at, claimed_at, lease_until, lost_at`

// EnqueueClaim inserts c as queued; see store.ClaimStore.
func (s *Store) EnqueueClaim(ctx context.Context, c *record.Claim) error {
	if c.AttemptID == 0 || c.RunID == 0 || c.Task == "" {
		return fmt.Errorf("enqueue claim: attempt, run and task are required")
	}
	if c.QueuedAt.IsZero() {
		c.QueuedAt = Now()
	}
	if err := checkLabels(c.Labels); err != nil {
		return fmt.Errorf("enqueue claim of attempt %d: %w", c.AttemptID, err)
	}
	labels, err := JSONArg(emptyMap(c.Labels), false)
	if err != nil {
		return fmt.Errorf("enqueue claim of attempt %d: %w", c.AttemptID, err)
	}
	payload := c.Payload
	if payload == nil {
		payload = []byte{}
	}
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`INSERT INTO claims (`+claimColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, 'queued', '', 0, '', NULL, ?, NULL, NULL, NULL)`,
			c.AttemptID, c.RunID, c.Task, c.Pool, labels, payload, s.t(c.QueuedAt)); err != nil {
			return err
		}
		return s.notify(tx, ClaimsQueuedChannel, 0)
	})
	if err != nil {
		return fmt.Errorf("enqueue claim of attempt %d: %w", c.AttemptID, err)
	}
	c.State, c.Worker, c.Token, c.Cancel, c.Result = record.ClaimQueued, "", 0, "", nil
	c.ClaimedAt, c.LeaseUntil, c.LostAt = time.Time{}, time.Time{}, time.Time{}
	return nil
}

// checkLabels refuses a label key record.CheckLabelKey refuses.
func checkLabels(labels map[string]string) error {
	for k := range labels {
		if err := record.CheckLabelKey(k); err != nil {
			return err
		}
	}
	return nil
}

// notify tells the listening processes, at commit, of id on channel.
func (s *Store) notify(tx *Tx, channel string, id int64) error {
	q := s.db.d.Notify(channel)
	if q == "" {
		return nil
	}
	_, err := tx.Exec(q, strconv.FormatInt(id, 10))
	return err
}

// ClaimNext claims up to n queued claims for worker; see store.ClaimStore.
func (s *Store) ClaimNext(ctx context.Context, worker string, labels map[string]string, n int, ttl time.Duration, at time.Time) ([]record.Claim, error) {
	if worker == "" || ttl <= 0 {
		return nil, fmt.Errorf("claim: a worker and a positive ttl are required")
	}
	if n <= 0 {
		return nil, nil
	}
	if at.IsZero() {
		at = Now()
	}
	if err := checkLabels(labels); err != nil {
		return nil, fmt.Errorf("claim for %s: %w", worker, err)
	}
	have, err := JSONArg(emptyMap(labels), false)
	if err != nil {
		return nil, fmt.Errorf("claim for %s: %w", worker, err)
	}
	d := s.db.d
	// The SELECT walks the queued claims' own index from its oldest,
	// passing over those another worker is claiming this moment (SKIP
	// LOCKED): claimers neither queue behind one another nor take a claim
	// twice. It is materialized, so that it runs once (a subquery in the
	// UPDATE's WHERE may be run again per row, each time with its LIMIT);
	// the outer state check keeps a claim claimed once.
	q := `WITH next AS MATERIALIZED (
			SELECT attempt_id FROM claims` + d.IndexHint("claims_queued") + `
			WHERE state = 'queued' AND ` + d.LabelsWithin("labels") + `
			ORDER BY attempt_id LIMIT ?` + d.SkipLocked() + `)
		UPDATE claims SET state = 'claimed', worker = ?, token = token + 1, claimed_at = ?, lease_until = ?, lost_at = ?
		WHERE state = 'queued' AND attempt_id IN (SELECT attempt_id FROM next)
		RETURNING ` + claimColumns
	var out []record.Claim
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		rows, err := tx.Query(q, have, n, worker, s.t(at), s.t(at.Add(ttl)), s.t(at.Add(2*ttl)))
		out, err = Collect(rows, err, scanClaim)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim for %s: %w", worker, err)
	}
	slices.SortFunc(out, func(a, b record.Claim) int { return cmp.Compare(a.AttemptID, b.AttemptID) })
	return out, nil
}

// RenewClaim extends a held lease; see store.ClaimStore.
func (s *Store) RenewClaim(ctx context.Context, attemptID, token int64, ttl time.Duration, at time.Time) (string, error) {
	if at.IsZero() {
		at = Now()
	}
	var cancel string
	err := s.db.writeRow(ctx, `UPDATE claims SET lease_until = ?, lost_at = ?
		WHERE attempt_id = ? AND token = ? AND state = 'claimed'
		RETURNING cancel`, s.t(at.Add(ttl)), s.t(at.Add(2*ttl)), attemptID, token).Scan(&cancel)
	if errors.Is(err, store.ErrNotFound) {
		err = store.ErrFenced
	}
	if err != nil {
		return "", fmt.Errorf("renew the claim of attempt %d: %w", attemptID, err)
	}
	return cancel, nil
}

// CompleteClaim records a held claim's result; see store.ClaimStore.
func (s *Store) CompleteClaim(ctx context.Context, attemptID, token int64, result []byte, at time.Time) error {
	if at.IsZero() {
		at = Now()
	}
	if result == nil {
		result = []byte{}
	}
	err := s.endClaim(ctx, attemptID, token, record.ClaimDone, result)
	if err != nil {
		return fmt.Errorf("complete the claim of attempt %d: %w", attemptID, err)
	}
	return nil
}

// endClaim ends a claim token holds in state with result (nil: none),
// and tells the listening processes; otherwise it is store.ErrFenced.
func (s *Store) endClaim(ctx context.Context, attemptID, token int64, state record.ClaimState, result []byte) error {
	return s.db.WriteTx(ctx, func(tx *Tx) error {
		err := tx.ExecOne(`UPDATE claims SET state = ?, result = coalesce(?, result)
			WHERE attempt_id = ? AND token = ? AND state = 'claimed'`, state, result, attemptID, token)
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrFenced
		}
		if err != nil {
			return err
		}
		return s.notify(tx, ClaimsEndedChannel, attemptID)
	})
}

// HandBackClaim gives a held claim up as lost; see store.ClaimStore.
func (s *Store) HandBackClaim(ctx context.Context, attemptID, token int64) error {
	if err := s.endClaim(ctx, attemptID, token, record.ClaimLost, nil); err != nil {
		return fmt.Errorf("hand back the claim of attempt %d: %w", attemptID, err)
	}
	return nil
}

// HandBackWorkerClaims gives up every claim a worker holds; see
// store.ClaimStore.
func (s *Store) HandBackWorkerClaims(ctx context.Context, worker string, except []int64) ([]int64, error) {
	var ids []int64
	q, args := `UPDATE claims SET state = 'lost' WHERE worker = ? AND state = 'claimed'`, []any{worker}
	if len(except) > 0 {
		q += ` AND attempt_id NOT IN (?` + strings.Repeat(", ?", len(except)-1) + `)`
		for _, id := range except {
			args = append(args, id)
		}
	}
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		rows, err := tx.Query(q+` RETURNING attempt_id`, args...)
		if ids, err = Collect(rows, err, func(r Scanner) (int64, error) {
			var id int64
			return id, r.Scan(&id)
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.notify(tx, ClaimsEndedChannel, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hand back the claims of worker %s: %w", worker, err)
	}
	slices.Sort(ids)
	return ids, nil
}

// CancelClaim asks a claim to end; see store.ClaimStore.
func (s *Store) CancelClaim(ctx context.Context, attemptID int64, why string) (record.Claim, error) {
	if why == "" {
		why = "cancelled"
	}
	var c record.Claim
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		var err error
		c, err = scanClaim(tx.Row(`SELECT `+claimColumns+` FROM claims WHERE attempt_id = ?`+s.db.d.ForUpdate(), attemptID))
		if err != nil {
			return err
		}
		switch {
		case c.State == record.ClaimQueued:
			c.State = record.ClaimCancelled
			if err := tx.ExecOne(`UPDATE claims SET state = 'cancelled', cancel = ? WHERE attempt_id = ?`, why, attemptID); err != nil {
				return err
			}
			c.Cancel = why
			return s.notify(tx, ClaimsEndedChannel, attemptID)
		case c.State == record.ClaimClaimed && c.Cancel == "":
			c.Cancel = why
			return tx.ExecOne(`UPDATE claims SET cancel = ? WHERE attempt_id = ?`, why, attemptID)
		}
		return nil
	})
	if err != nil {
		return record.Claim{}, fmt.Errorf("cancel the claim of attempt %d: %w", attemptID, err)
	}
	return c, nil
}

// ExpireClaims marks lost the claims whose lease ended; see
// store.ClaimStore.
func (s *Store) ExpireClaims(ctx context.Context, at time.Time, grace time.Duration) ([]record.Claim, error) {
	if at.IsZero() {
		at = Now()
	}
	var out []record.Claim
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		rows, err := tx.Query(`UPDATE claims SET state = 'lost'
			WHERE state = 'claimed' AND (lost_at <= ? OR lost_at IS NULL AND lease_until <= ?) RETURNING `+claimColumns,
			s.t(at), s.t(at.Add(-grace)))
		if out, err = Collect(rows, err, scanClaim); err != nil {
			return err
		}
		for _, c := range out {
			if err := s.notify(tx, ClaimsEndedChannel, c.AttemptID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire claims: %w", err)
	}
	slices.SortFunc(out, func(a, b record.Claim) int { return cmp.Compare(a.AttemptID, b.AttemptID) })
	return out, nil
}

// GetClaim returns attempt's claim, or store.ErrNotFound.
func (s *Store) GetClaim(ctx context.Context, attemptID int64) (record.Claim, error) {
	c, err := scanClaim(s.db.Row(ctx, `SELECT `+claimColumns+` FROM claims WHERE attempt_id = ?`, attemptID))
	if err != nil {
		return record.Claim{}, fmt.Errorf("get the claim of attempt %d: %w", attemptID, err)
	}
	return c, nil
}

// DeleteClaim removes attempt's claim, if any.
func (s *Store) DeleteClaim(ctx context.Context, attemptID int64) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM claims WHERE attempt_id = ?`, attemptID); err != nil {
		return fmt.Errorf("delete the claim of attempt %d: %w", attemptID, err)
	}
	return nil
}

// ClaimDepth counts the queued claims by pool.
func (s *Store) ClaimDepth(ctx context.Context) (map[string]int, error) {
	type depth struct {
		pool string
		n    int
	}
	rows, err := s.db.Query(ctx, `SELECT pool, count(*) FROM claims`+s.db.d.IndexHint("claims_queued")+`
		WHERE state = 'queued' GROUP BY pool`)
	ds, err := Collect(rows, err, func(sc Scanner) (depth, error) {
		var d depth
		err := sc.Scan(&d.pool, &d.n)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("count queued claims: %w", err)
	}
	out := make(map[string]int, len(ds))
	for _, d := range ds {
		out[d.pool] = d.n
	}
	return out, nil
}

// ClaimEvents is a nil channel: the SQL layer alone cannot hear other
// processes. A driver that can (PostgreSQL) overrides it.
func (s *Store) ClaimEvents(context.Context) (<-chan int64, error) { return nil, nil }

func scanClaim(sc Scanner) (record.Claim, error) {
	var c record.Claim
	var labels JSON[map[string]string]
	var queued, claimed, lease, lost Time
	if err := sc.Scan(&c.AttemptID, &c.RunID, &c.Task, &c.Pool, &labels, &c.Payload, &c.State, &c.Worker,
		&c.Token, &c.Cancel, &c.Result, &queued, &claimed, &lease, &lost); err != nil {
		return c, err
	}
	c.Labels, c.QueuedAt, c.ClaimedAt, c.LeaseUntil, c.LostAt = labels.V, queued.T, claimed.T, lease.T, lost.T
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	return c, nil
}
