package deploy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// tokenPrefix starts every token, so that secret scanners and people
// know one when they see it.
const tokenPrefix = "gantry_"

// Identity is who a request acts as.
type Identity struct {
	User    string
	Role    string
	TokenID int64 // 0 when not from a token
}

// HashToken is the sha256, hex, of a token's plaintext: all the store
// keeps of it. 256 random bits need no slow hash.
func HashToken(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// CreateToken creates an API token for user with role and returns its
// plaintext, to be shown once: only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, actor, user, role string) (string, record.Token, error) {
	if actor == "" || strings.TrimSpace(user) == "" {
		return "", record.Token{}, fmt.Errorf("%w: a token needs a user", ErrInvalid)
	}
	if !ValidRole(role) {
		return "", record.Token{}, fmt.Errorf("%w: role %q: want one of %s", ErrInvalid, role, strings.Join(Roles, ", "))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", record.Token{}, fmt.Errorf("create token: %w", err)
	}
	plaintext := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := record.Token{User: user, Role: role, Hash: HashToken(plaintext), CreatedBy: actor, CreatedAt: s.now()}
	ev := &record.AuditEvent{Time: s.now(), Actor: actor, Action: record.AuditTokenCreate,
		Detail: fmt.Sprintf("token for %s, role %s", user, role)}
	if err := s.st.CreateToken(ctx, &t, ev); err != nil {
		return "", record.Token{}, err
	}
	return plaintext, t, nil
}

// ListTokens returns every token, revoked ones included, oldest first.
func (s *Service) ListTokens(ctx context.Context) ([]record.Token, error) {
	return s.st.ListTokens(ctx)
}

// RevokeToken revokes token id: it authenticates no more.
func (s *Service) RevokeToken(ctx context.Context, actor string, id int64) error {
	ev := &record.AuditEvent{Time: s.now(), Actor: actor, Action: record.AuditTokenRevoke,
		Detail: fmt.Sprintf("token %d", id)}
	if err := s.st.RevokeToken(ctx, id, actor, s.now(), ev); err != nil {
		return fmt.Errorf("token %d: %w", id, err)
	}
	return nil
}

// Authenticate returns whom a token's plaintext stands for. An unknown
// or revoked token is ErrUnauthorized.
func (s *Service) Authenticate(ctx context.Context, plaintext string) (Identity, error) {
	if !strings.HasPrefix(plaintext, tokenPrefix) {
		return Identity{}, fmt.Errorf("%w: not a gantry token", ErrUnauthorized)
	}
	t, err := s.st.TokenByHash(ctx, HashToken(plaintext))
	if errors.Is(err, store.ErrNotFound) {
		return Identity{}, fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	if err != nil {
		return Identity{}, err
	}
	if !t.RevokedAt.IsZero() {
		return Identity{}, fmt.Errorf("%w: token %d was revoked", ErrUnauthorized, t.ID)
	}
	return Identity{User: t.User, Role: t.Role, TokenID: t.ID}, nil
}
