package sqlstore

import (
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/internal/store"
)

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
