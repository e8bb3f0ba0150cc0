package storepg_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
)

// TestBytewiseOrder gives the ordered columns a locale's collation, as a
// database created with LC_COLLATE=en_US has, and reads a revision's files
// and a deployment's approvals back in byte order, as Go sorts them and as
// SQLite returns them.
func TestBytewiseOrder(t *testing.T) {
	t.Parallel()
	u := schemaURL(t)
	s := openAt(t, u)
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(t.Context())
	var n int
	if err := c.QueryRow(t.Context(), `SELECT count(*) FROM pg_collation WHERE collname = 'en-US-x-icu'`).Scan(&n); err != nil || n == 0 {
		t.Skipf("no ICU collation en-US-x-icu (%v)", err)
	}
	if _, err := c.Exec(t.Context(), `ALTER TABLE revision_files ALTER COLUMN path TYPE text COLLATE "en-US-x-icu";
		ALTER TABLE approvals ALTER COLUMN approver TYPE text COLLATE "en-US-x-icu"`); err != nil {
		t.Fatal(err)
	}

	paths := []string{"a.sh", "B.sh", "_x.sh", "pipelines/orders.yaml"}
	slices.Sort(paths)
	rev := record.Revision{Hash: "h", Pipeline: "orders"}
	content := map[string][]byte{}
	for _, p := range paths {
		sum := sha256.Sum256([]byte(p))
		content[p] = []byte(p)
		rev.Files = append(rev.Files, record.RevisionFile{Path: p, Size: int64(len(p)), SHA256: hex.EncodeToString(sum[:])})
	}
	if _, err := s.CreateRevision(t.Context(), rev, content); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRevision(t.Context(), "h")
	if err != nil {
		t.Fatal(err)
	}
	var gotPaths []string
	for _, f := range got.Files {
		gotPaths = append(gotPaths, f.Path)
	}
	if !slices.Equal(gotPaths, paths) {
		t.Errorf("files %q, want %q", gotPaths, paths)
	}

	d := record.Deployment{Pipeline: "orders", Env: "prod", Revision: "h", State: record.DeploymentPending}
	if err := s.CreateDeployment(t.Context(), &d, nil); err != nil {
		t.Fatal(err)
	}
	users := []string{"bob", "_ci", "Alice"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, u := range users {
		if _, err := s.AddApproval(t.Context(), record.Approval{DeploymentID: d.ID, User: u, CreatedAt: at}, nil); err != nil {
			t.Fatal(err)
		}
	}
	as, err := s.ListApprovals(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gotUsers []string
	for _, a := range as {
		gotUsers = append(gotUsers, a.User)
	}
	slices.Sort(users)
	if !slices.Equal(gotUsers, users) {
		t.Errorf("approvers %q, want %q", gotUsers, users)
	}
}
