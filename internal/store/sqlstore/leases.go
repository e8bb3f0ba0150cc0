package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const leaseColumns = `name, holder, token, acquired_at, renewed_at, expires_at`

// AcquireLease takes or renews lease name for holder; see store.LeaseStore.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, at time.Time) (record.Lease, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return record.Lease{}, fmt.Errorf("acquire lease: name, holder and a positive ttl are required")
	}
	if at.IsZero() {
		at = Now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	var l record.Lease
	conflict := false
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		// The row exists before it is locked, so that two first takers
		// queue on it instead of one failing on the primary key.
		if _, err := tx.Exec(`INSERT INTO leases (`+leaseColumns+`) VALUES (?, '', 0, ?, ?, ?)
			ON CONFLICT (name) DO NOTHING`, name, s.t(at), s.t(at), s.t(at)); err != nil {
			return err
		}
		cur, err := scanLease(tx.Row(`SELECT `+leaseColumns+` FROM leases WHERE name = ?`+s.db.d.ForUpdate(), name))
		if err != nil {
			return err
		}
		switch {
		case cur.Holder == holder && cur.Live(at): // renew
			l = cur
		case !cur.Live(at): // take
			l = record.Lease{Name: name, Holder: holder, Token: cur.Token + 1, AcquiredAt: at}
		default:
			l, conflict = cur, true
			return nil
		}
		l.RenewedAt, l.ExpiresAt = at, at.Add(ttl)
		return tx.ExecOne(`UPDATE leases SET holder = ?, token = ?, acquired_at = ?, renewed_at = ?, expires_at = ?
			WHERE name = ?`, l.Holder, l.Token, s.t(l.AcquiredAt), s.t(l.RenewedAt), s.t(l.ExpiresAt), name)
	})
	if err != nil {
		return record.Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	if conflict {
		return l, fmt.Errorf("acquire lease %s: %w: held by %s until %s", name, store.ErrConflict, l.Holder, l.ExpiresAt.Format(time.RFC3339Nano))
	}
	return l, nil
}

// ReleaseLease lets lease name go when holder holds it with token.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string, token int64) error {
	// Expired at its taking: free at once, its token kept so the next
	// holder's is greater.
	_, err := s.db.Exec(ctx, `UPDATE leases SET expires_at = acquired_at WHERE name = ? AND holder = ? AND token = ?`,
		name, holder, token)
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// GetLease returns lease name as stored, or store.ErrNotFound.
func (s *Store) GetLease(ctx context.Context, name string) (record.Lease, error) {
	l, err := scanLease(s.db.Row(ctx, `SELECT `+leaseColumns+` FROM leases WHERE name = ?`, name))
	if err == nil && l.Holder == "" {
		err = store.ErrNotFound // the placeholder row of a first taker that was refused
	}
	if err != nil {
		return record.Lease{}, fmt.Errorf("get lease %s: %w", name, err)
	}
	return l, nil
}

func scanLease(sc Scanner) (record.Lease, error) {
	var l record.Lease
	var acq, ren, exp Time
	if err := sc.Scan(&l.Name, &l.Holder, &l.Token, &acq, &ren, &exp); err != nil {
		return l, err
	}
	l.AcquiredAt, l.RenewedAt, l.ExpiresAt = acq.T, ren.T, exp.T
	return l, nil
}
