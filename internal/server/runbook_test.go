package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/store"
)

// A runbook is shown while it is a file of the project; once its link is
// pointed out of the project after loading, the server refuses to show
// what it now leads to.
func TestRunbookStaysInProject(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"orders.yaml":    "pipeline: orders\ntasks: [{id: t, run: 'true'}]\nrunbook: runbooks/orders.md\n",
		"runbooks/v1.md": "# Orders\n",
	})
	outside := filepath.Join(t.TempDir(), "passwd.md")
	if err := os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := e.path("runbooks/orders.md")
	if err := os.Symlink("v1.md", link); err != nil {
		t.Fatal(err)
	}
	srv := e.start()
	text, err := srv.Runbook(e.ctx, "orders")
	if err != nil || text != "# Orders\n" {
		t.Fatalf("Runbook = %q, %v; want the project's runbook", text, err)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	text, err = srv.Runbook(e.ctx, "orders")
	if !errors.Is(err, store.ErrNotFound) || text != "" {
		t.Fatalf("Runbook through a link out of the project = %q, %v; want store.ErrNotFound", text, err)
	}
}
