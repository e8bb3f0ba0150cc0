package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const tokenColumns = `id, username, role, hash, created_by, created_at, revoked_at, revoked_by`

// CreateToken inserts a token and its audit event.
func (s *Store) CreateToken(ctx context.Context, t *record.Token, ev *record.AuditEvent) error {
	tok := *t
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = Now()
	}
	tok.CreatedAt = deployTime(tok.CreatedAt)
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		var err error
		if tok.ID, err = tx.Insert(`INSERT INTO api_tokens (username, role, hash, created_by,
			created_at, revoked_at, revoked_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			tok.User, tok.Role, tok.Hash, tok.CreatedBy, s.t(tok.CreatedAt),
			s.t(tok.RevokedAt), tok.RevokedBy); err != nil {
			return err
		}
		return s.appendAudit(tx, ev)
	})
	if err != nil {
		return fmt.Errorf("create token for %s: %w", tok.User, err)
	}
	*t = tok
	return nil
}

// TokenByHash returns the token with that hash, or store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (record.Token, error) {
	t, err := scanToken(s.db.Row(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE hash = ?", hash))
	if err != nil {
		return record.Token{}, fmt.Errorf("find token: %w", err)
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]record.Token, error) {
	return queryAll(ctx, s, "list tokens", scanToken, "SELECT "+tokenColumns+" FROM api_tokens ORDER BY id")
}

// RevokeToken revokes a token. Where the dialect locks rows, the lock on
// the token orders concurrent revocations of it.
func (s *Store) RevokeToken(ctx context.Context, id int64, by string, at time.Time, ev *record.AuditEvent) error {
	if at.IsZero() {
		at = Now()
	}
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		var revoked Time
		if err := tx.Row(`SELECT revoked_at FROM api_tokens WHERE id = ?`+s.db.d.ForUpdate(), id).Scan(&revoked); err != nil {
			return err
		}
		if !revoked.T.IsZero() {
			return fmt.Errorf("%w: already revoked", store.ErrConflict)
		}
		if _, err := tx.Exec(`UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?`,
			s.t(at), by, id); err != nil {
			return err
		}
		return s.appendAudit(tx, ev)
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	return nil
}

func scanToken(sc Scanner) (record.Token, error) {
	var t record.Token
	var created, revoked Time
	err := sc.Scan(&t.ID, &t.User, &t.Role, &t.Hash, &t.CreatedBy, &created, &revoked, &t.RevokedBy)
	t.CreatedAt, t.RevokedAt = created.T, revoked.T
	return t, err
}
