package deploy_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// fixture is the project every test starts from: orders (after ingest)
// and ingest, with staging and a protected prod (approvers carol, dave).
var fixture = filepath.Join("testdata", "project")

// project copies the fixture into a temporary folder and applies edits:
// file → [old, new] replacements; an old of "" appends new; a new file
// is created by appending to nothing.
func project(t testing.TB, edits ...edit) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		path := filepath.Join(dir, filepath.FromSlash(e.file))
		data, _ := os.ReadFile(path)
		s := string(data)
		switch {
		case e.old == "":
			s += e.new
		case !strings.Contains(s, e.old):
			t.Fatalf("edit of %s: %q not found", e.file, e.old)
		default:
			s = strings.Replace(s, e.old, e.new, 1)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type edit struct{ file, old, new string }

// collect reads the bundle of pipeline from dir.
func collect(t testing.TB, dir, pipeline string) *deploy.Bundle {
	t.Helper()
	b, err := deploy.Collect(dir, pipeline)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// env is a test's real store, service and staging starter.
type env struct {
	t       testing.TB
	st      *storesqlite.Store
	path    string
	svc     *deploy.Service
	starter *engineStarter
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvAt(t, filepath.Join(t.TempDir(), "gantry.db"))
}

func newEnvAt(t testing.TB, path string) *env {
	t.Helper()
	e := newUntestedEnvAt(t, path)
	// The fixture's channel took a test alert: the readiness gate of the
	// protected prod asks for one in the last 30 days.
	e.testFired("data-oncall", "oncall")
	return e
}

// newUntestedEnvAt is newEnvAt without the test-fire: the readiness gate
// of the protected prod says NOT READY until one is recorded.
func newUntestedEnvAt(t testing.TB, path string) *env {
	t.Helper()
	st, err := storesqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, path: path, starter: &engineStarter{st: st, logDir: t.TempDir()}}
	e.svc = deploy.New(deploy.Options{Store: st, Starter: e.starter})
	return e
}

// testFired records a test-fire of route that every one of channels took.
func (e *env) testFired(route string, channels ...string) {
	e.t.Helper()
	tf := &record.TestFire{Route: route, Actor: "sre", At: time.Now(), OK: true, Channels: channels}
	if err := e.st.CreateTestFire(e.t.Context(), tf, nil); err != nil {
		e.t.Fatal(err)
	}
}

// engineStarter runs staging runs for real, in the foreground, as the
// local CLI does: the bundle materialized in a temporary folder that is
// removed afterwards.
type engineStarter struct {
	st     store.Store
	logDir string
	dirs   []string // workspaces used, to prove they are gone
}

func (s *engineStarter) StartStaging(ctx context.Context, env string, rev record.Revision, b *deploy.Bundle) (record.Run, error) {
	return runBundle(ctx, s.st, s.logDir, b, env, record.TriggerStaging, &s.dirs)
}

// runBundle runs b in env with the engine and returns the final run.
func runBundle(ctx context.Context, st store.Store, logDir string, b *deploy.Bundle, env string, trigger record.Trigger, dirs *[]string) (record.Run, error) {
	dir, err := os.MkdirTemp("", "gantry-staging-")
	if err != nil {
		return record.Run{}, err
	}
	defer os.RemoveAll(dir)
	if dirs != nil {
		*dirs = append(*dirs, dir)
	}
	if err := deploy.Materialize(b, dir); err != nil {
		return record.Run{}, err
	}
	proj, p, err := b.Load(dir)
	if err != nil {
		return record.Run{}, err
	}
	exe, err := process.New(process.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return record.Run{}, err
	}
	defer exe.Close()
	eng := engine.New(engine.Config{Store: st, Executors: executor.Set{process.Kind: exe}, LogDir: logDir, KillGrace: time.Second})
	end := time.Now().UTC().Truncate(24 * time.Hour)
	return eng.Run(ctx, engine.Request{
		Pipeline: p, Params: spec.ParamsFor(proj, p, env), Start: end.AddDate(0, 0, -1), End: end,
		Trigger: trigger, Env: env, Revision: b.Hash, Dir: dir,
	})
}

// runActive runs what is active in env, as the server's scheduler would,
// and reports the finished run to the service.
func (e *env) runActive(pipeline, envName string) (record.Run, *deploy.Rollback) {
	e.t.Helper()
	a, err := e.svc.Active(e.t.Context(), pipeline, envName)
	if err != nil {
		e.t.Fatal(err)
	}
	run, err := runBundle(e.t.Context(), e.st, e.starter.logDir, a.Bundle, envName, record.TriggerManual, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	rb, err := e.svc.RunFinished(e.t.Context(), run)
	if err != nil {
		e.t.Fatal(err)
	}
	return run, rb
}

func (e *env) deploy(actor string, b *deploy.Bundle, envName string) *deploy.Result {
	e.t.Helper()
	r, err := e.svc.Deploy(e.t.Context(), actor, b, envName, "test")
	if err != nil {
		e.t.Fatalf("deploy %s to %s: %v", b.Pipeline, envName, err)
	}
	return r
}

// deployApproved deploys b to the protected prod and has carol approve
// it, as every change there needs; it returns the deployment once active.
func (e *env) deployApproved(b *deploy.Bundle) record.Deployment {
	e.t.Helper()
	d := e.deploy("alice", b, "prod").Deployment
	r, err := e.svc.Approve(e.t.Context(), "carol", d.ID, "ok")
	if err != nil {
		e.t.Fatalf("approve deployment %d: %v", d.ID, err)
	}
	if r.Deployment.State != record.DeploymentActive {
		e.t.Fatalf("deployment %d after approval: %s, waiting for %q", d.ID, r.Deployment.State, r.Waiting)
	}
	return r.Deployment
}

func (e *env) active(pipeline, envName string) record.Deployment {
	e.t.Helper()
	d, err := e.st.ActiveDeployment(e.t.Context(), pipeline, envName)
	if err != nil {
		e.t.Fatalf("active %s in %s: %v", pipeline, envName, err)
	}
	return d
}

// audit returns the audit log as "actor action env" lines.
func (e *env) audit() []string {
	e.t.Helper()
	evs, err := e.svc.Audit(e.t.Context(), store.AuditFilter{Limit: -1})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Actor+" "+string(ev.Action)+" "+ev.Env)
	}
	return out
}
