package deploy_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _, err := e.svc.CreateToken(t.Context(), "root", "alice", "god")
	isErr(t, "unknown role", err, deploy.ErrInvalid)
	plain, tok, err := e.svc.CreateToken(t.Context(), "root", "alice", deploy.RoleDeployer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "gantry_") || len(plain) < 40 || tok.Hash == "" || strings.Contains(tok.Hash, plain) {
		t.Errorf("token %q, record %+v", plain, tok)
	}
	id, err := e.svc.Authenticate(t.Context(), plain)
	if err != nil || id.User != "alice" || id.Role != deploy.RoleDeployer || id.TokenID != tok.ID {
		t.Errorf("authenticate: %+v, %v", id, err)
	}
	_, err = e.svc.Authenticate(t.Context(), plain+"x")
	isErr(t, "a wrong token", err, deploy.ErrUnauthorized)

	// The plaintext is nowhere in the database files.
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(e.path + "*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(plain)) {
			t.Errorf("%s holds the token's plaintext", f)
		}
	}
	e = reopen(t, e)
	if err := e.svc.RevokeToken(t.Context(), "root", tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(t.Context(), plain)
	isErr(t, "a revoked token", err, deploy.ErrUnauthorized)
	isErr(t, "revoking twice", e.svc.RevokeToken(t.Context(), "root", tok.ID), deploy.ErrConflict)
	want := []string{"root token_create ", "root token_revoke "}
	if got := e.audit(); strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("audit %q, want %q", got, want)
	}
}

// reopen opens e's database again.
func reopen(t *testing.T, e *env) *env {
	t.Helper()
	n := newEnvAt(t, e.path)
	return n
}

func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.st.AppendAudit(t.Context(), &record.AuditEvent{Actor: "bob", Action: record.AuditReplay, Pipeline: "orders"}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"} {
		if _, err := db.ExecContext(t.Context(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
	evs := e.audit()
	if len(evs) != 1 || evs[0] != "bob "+string(record.AuditReplay)+" " {
		t.Errorf("audit = %q", evs)
	}
}
