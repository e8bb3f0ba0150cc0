package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// Deployments is what the server needs of the deploy lifecycle
// (internal/deploy implements it).
type Deployments interface {
	// ActiveRevisions maps each pipeline with an active deployment in env
	// to the content hash of its revision.
	ActiveRevisions(ctx context.Context, env string) (map[string]string, error)
	// Materialize writes the files of revision hash into dir, which
	// exists and is empty.
	Materialize(ctx context.Context, hash, dir string) error
	// Verify checks that dir still holds exactly the files of revision
	// hash; an error wrapping deploy.ErrTampered says what differs.
	Verify(ctx context.Context, hash, dir string) error
	// RunFinished hears about every run that ended: a staging run's result
	// is attached to its revision, and a failed first production run of a
	// revision may roll back. It returns a description of the rollback it
	// made, or "".
	RunFinished(ctx context.Context, run record.Run) (rollback string, err error)
	// ActiveSince is when the active deployment of pipeline in env became
	// active: alert conditions look no further back.
	ActiveSince(ctx context.Context, pipeline, env string) (time.Time, error)
}

// loadDeployed loads, for the server's environment, the revision each
// pipeline has active there. A pipeline whose revision cannot be read
// keeps the version it ran before.
func (s *Server) loadDeployed() api.ReloadResult {
	ctx := context.Background()
	var res api.ReloadResult
	revs, err := s.cfg.Deployments.ActiveRevisions(ctx, s.cfg.Env)
	if err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("read the deployments of %s: %v", s.cfg.Env, err))
		s.mu.Lock()
		for name := range s.pipes {
			res.Loaded = append(res.Loaded, name)
		}
		s.mu.Unlock()
		return res
	}
	next := map[string]*pipeline{}
	for name, hash := range revs {
		p, err := s.revisionPipeline(ctx, name, hash, s.cfg.Env)
		if err == nil {
			var since time.Time
			if since, err = s.cfg.Deployments.ActiveSince(ctx, name, s.cfg.Env); err == nil {
				cp := *p
				cp.since = since
				p = &cp
			}
		}
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			s.mu.Lock()
			if old := s.pipes[name]; old != nil {
				next[name] = old
			}
			s.mu.Unlock()
			continue
		}
		next[name] = p
	}
	res = s.useDeployedProject(next, res)
	return s.swap(next, nil, res)
}

// revisionPipeline returns pipeline name as revision hash has it, for runs
// in env. The revision's files are written once under RevisionDir and
// never change: a revision is immutable.
func (s *Server) revisionPipeline(ctx context.Context, name, hash, env string) (*pipeline, error) {
	key := name + "@" + hash + "@" + env
	s.mu.Lock()
	p := s.revs[key]
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	dir := filepath.Join(s.cfg.RevisionDir, hash)
	if _, err := os.Stat(dir); err != nil {
		if err := s.materializeAt(ctx, hash, dir, true); err != nil {
			return nil, err
		}
	}
	if err := s.verifyRevision(ctx, name, env, hash, dir, 0); err != nil {
		return nil, err
	}
	proj, pipes, err := spec.LoadProject(dir)
	if err != nil {
		return nil, fmt.Errorf("revision %s of %s does not load: %w", short(hash), name, err)
	}
	for _, sp := range pipes {
		if sp.Name != name {
			continue
		}
		lp, err := s.newPipeline(proj, sp, dir, hash, env)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.revs[key] = lp
		s.mu.Unlock()
		return lp, nil
	}
	return nil, fmt.Errorf("revision %s has no pipeline %s", short(hash), name)
}

// verifyRevision checks the revision folder dir before Gantry loads or
// runs what it holds; a tampered folder is refused and raises a
// RevisionTampered alert. runID is the run refused, or 0.
func (s *Server) verifyRevision(ctx context.Context, name, env, hash, dir string, runID int64) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		// Removed by hand, a tampered one say: written again from the store.
		if err := s.materializeAt(ctx, hash, dir, true); err != nil {
			return fmt.Errorf("refused to run %s: %w", name, err)
		}
	}
	err := s.cfg.Deployments.Verify(ctx, hash, dir)
	if err == nil {
		return nil
	}
	if errors.Is(err, deploy.ErrTampered) {
		s.log.Error("revision folder tampered with", "pipeline", name, "revision", short(hash), "run_id", runID, "err", err)
		s.raiseTampered(ctx, name, env, hash, runID, err)
	}
	return fmt.Errorf("refused to run %s: %w", name, err)
}

// materializeAt writes a revision's files to dir through a temporary
// sibling, so that a crash leaves no half-written folder behind; sealed,
// dir is read-only (deploy.Seal).
func (s *Server) materializeAt(ctx context.Context, hash, dir string, sealed bool) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	if err := s.cfg.Deployments.Materialize(ctx, hash, tmp); err != nil {
		deploy.RemoveAll(tmp)
		return fmt.Errorf("write revision %s: %w", short(hash), err)
	}
	if sealed {
		if err := deploy.Seal(tmp); err != nil {
			deploy.RemoveAll(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		deploy.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr == nil {
			return nil // written meanwhile by another caller
		}
		return err
	}
	return nil
}

// pipelineFor returns the pipeline a run executes: the loaded one, or the
// revision the run is pinned to when that is no longer the loaded one.
func (s *Server) pipelineFor(ctx context.Context, run record.Run) *pipeline {
	s.mu.Lock()
	p := s.pipes[run.Pipeline]
	s.mu.Unlock()
	if run.Revision == "" || s.cfg.Deployments == nil || (p != nil && p.revision == run.Revision && p.env == run.Env) {
		return p
	}
	rp, err := s.revisionPipeline(ctx, run.Pipeline, run.Revision, run.Env)
	if err != nil {
		s.log.Error("dispatch: revision of run", "run_id", run.ID, "revision", short(run.Revision), "err", err)
		return nil
	}
	return rp
}

// workspace is the folder a staging run runs in: its revision's files,
// written for it alone the first time, and found again when the run
// resumes after a stop or a crash, so that it goes on with what its
// finished tasks left there. The returned func removes it; the caller
// calls it once the run has ended. Logs are kept elsewhere and stay.
func (s *Server) workspace(ctx context.Context, run record.Run) (string, func(), error) {
	if s.cfg.Deployments == nil || run.Revision == "" {
		return "", nil, errors.New("a staging run needs a deployed revision")
	}
	base := s.cfg.WorkspaceDir
	if base == "" {
		base = os.TempDir()
	}
	// Run IDs are per store: the name also carries the server's own
	// folder (its revision folder, one per project and store), so that two
	// servers on one machine never share, or remove, each other's.
	tag := sha256.Sum256([]byte(s.cfg.RevisionDir))
	dir := filepath.Join(base, fmt.Sprintf("gantry-staging-%x-%s-run%d", tag[:6], run.Pipeline, run.ID))
	if _, err := os.Stat(dir); err == nil {
		s.log.Info("staging workspace: resuming", "run_id", run.ID, "dir", dir)
	} else if err := s.materializeAt(ctx, run.Revision, dir, false); err != nil {
		return "", nil, fmt.Errorf("staging workspace: %w", err)
	} else {
		s.log.Info("staging workspace", "run_id", run.ID, "dir", dir)
	}
	return dir, func() {
		if err := os.RemoveAll(dir); err != nil {
			s.log.Error("remove staging workspace", "dir", dir, "err", err)
		}
	}, nil
}

// StartStaging queues the integration run of a revision in a staging
// environment: the whole DAG with env's params, for the pipeline's latest
// complete interval, in a throwaway workspace.
func (s *Server) StartStaging(ctx context.Context, pipelineName, env, hash string) (record.Run, error) {
	p, err := s.revisionPipeline(ctx, pipelineName, hash, env)
	if err != nil {
		return record.Run{}, err
	}
	iv, err := s.triggerInterval(p, api.TriggerRequest{})
	if err != nil {
		return record.Run{}, err
	}
	run, err := s.eng.Create(ctx, p.request(record.TriggerStaging, iv.Start, iv.End, nil))
	if err != nil {
		return record.Run{}, fmt.Errorf("staging run of %s: %w", pipelineName, err)
	}
	s.log.Info("staging run queued", "run_id", run.ID, "pipeline", pipelineName, "env", env, "revision", short(hash))
	s.wake(s.wakeDispatch)
	return run, nil
}

// deployFinished tells the deploy lifecycle that run ended and, when that
// rolled a revision back, loads what is active now.
func (s *Server) deployFinished(ctx context.Context, run record.Run) {
	if s.cfg.Deployments == nil || run.Revision == "" {
		return
	}
	rb, err := s.cfg.Deployments.RunFinished(ctx, run)
	if err != nil {
		s.log.Error("deploy: run finished", "run_id", run.ID, "err", err)
	}
	if rb == "" {
		// A revision rolled back (the first run of a new one failed)
		// stands instead: its own folder still runs what it shipped.
		s.autoReleaseRollback(ctx, run)
	}
	if err != nil && rb == "" {
		return
	}
	if run.Trigger == record.TriggerStaging {
		s.refresh() // its success may have activated a deployment waiting for it
	}
	if rb == "" {
		return
	}
	s.log.Warn("automatic rollback", "pipeline", run.Pipeline, "env", run.Env, "run_id", run.ID, "what", rb)
	if run.Env == s.cfg.Env {
		s.refresh()
	}
	s.raiseRollback(ctx, run, rb)
	if s.cfg.OnRollback != nil {
		s.cfg.OnRollback(run, rb)
	}
}

// readProject parses dir/gantry.yaml; nil when there is none.
func readProject(dir string) (*spec.Project, error) {
	path := filepath.Join(dir, "gantry.yaml")
	data, err := spec.ReadFile(path) // at most spec.MaxFileSize
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return spec.ParseProject(path, data)
}

// short is a content hash as people read it.
func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
