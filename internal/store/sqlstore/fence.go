package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/store"
)

// fencedWriteTx runs fn in a write transaction that first checks the fence
// ctx carries, if any (see checkFence). When the transaction fails for
// another reason and the fence's lease, read again, is no longer held, the
// error is store.ErrFenced too, with the failure as its cause: a process
// paused inside the transaction past its lease's TTL has the transaction
// ended by the server (PostgreSQL's idle_in_transaction_session_timeout),
// which is no store fault but this process no longer leading, and nothing
// was committed either way.
func (s *Store) fencedWriteTx(ctx context.Context, fn func(tx *Tx) error) error {
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := s.checkFence(tx); err != nil {
			return err
		}
		return fn(tx)
	})
	f, ok := store.FenceFrom(ctx)
	if err == nil || !ok || errors.Is(err, store.ErrFenced) || ctx.Err() != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var token int64
	switch lerr := s.db.Row(cctx, `SELECT token FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires_at > ?`,
		f.Lease, f.Holder, f.Token, s.t(Now())).Scan(&token); {
	case errors.Is(lerr, store.ErrNotFound):
		return fmt.Errorf("%w (lease %s, token %d): %w", store.ErrFenced, f.Lease, f.Token, err)
	default:
		return err
	}
}

// checkFence returns store.ErrFenced when tx's context carries a fence
// (store.WithFence) whose lease is no longer its holder's with its token,
// or has expired by the store's clock (Now), and nil when the context has
// none. On PostgreSQL it locks the lease row for the rest of tx, so the
// lease cannot change hands between the check and the commit: a process
// taking the lease over waits for the write, then finds it expired.
func (s *Store) checkFence(tx *Tx) error {
	f, ok := store.FenceFrom(tx.ctx)
	if !ok {
		return nil
	}
	if q := s.db.d.FencedTx(); q != "" {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("check fence: %w", err)
		}
	}
	var token int64
	err := tx.Row(`SELECT token FROM leases WHERE name = ? AND holder = ? AND token = ? AND expires_at > ?`+
		s.db.d.ForUpdate(), f.Lease, f.Holder, f.Token, s.t(Now())).Scan(&token)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w (lease %s, token %d)", store.ErrFenced, f.Lease, f.Token)
	case err != nil:
		return fmt.Errorf("check fence: %w", err)
	}
	return nil
}
