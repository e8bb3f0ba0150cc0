package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/engine/pool"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// pipeline is a loaded pipeline and what the server derives from it.
type pipeline struct {
	spec      *spec.Pipeline
	sched     *schedule.Schedule // nil without cron
	upstreams []string           // schedule.after and producers of what it consumes

	env      string                        // the environment its runs are in; "" for the working tree
	since    time.Time                     // when it became what runs there: deployed, or first loaded
	revision string                        // the deployed revision it is; "" for the working tree
	dir      string                        // where its tasks run: the project, or the revision's files
	params   map[string]string             // what env sets, under each run's own
	secrets  engine.SecretFunc             // env's own secret source; nil: the server's
	project  *spec.Project                 // the gantry.yaml loaded with it: the working tree's or its revision's
	envs     map[string]engine.Environment // what its tasks into each environment run with
}

// request is an engine request for a run of p.
func (p *pipeline) request(trigger record.Trigger, start, end time.Time, params map[string]string) engine.Request {
	merged := maps.Clone(p.params)
	if merged == nil && len(params) > 0 {
		merged = map[string]string{}
	}
	maps.Copy(merged, params)
	return engine.Request{
		Pipeline: p.spec, Params: merged, Start: start, End: end, Trigger: trigger,
		Env: p.env, Revision: p.revision, Dir: p.dir, Secrets: p.secrets, Environments: p.envs,
	}
}

func (p *pipeline) location() *time.Location {
	if p.spec.Schedule != nil && p.spec.Schedule.Location != nil {
		return p.spec.Schedule.Location
	}
	return time.UTC
}

// load reads the project and swaps in what parses. A file that does not
// parse keeps the pipeline it held before, if any.
func (s *Server) load() api.ReloadResult {
	if s.cfg.Env != "" {
		return s.loadDeployed()
	}
	proj, pipes, err := spec.LoadProject(s.cfg.ProjectDir)
	var res api.ReloadResult
	broken := map[string]bool{}
	var errs spec.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			res.Errors = append(res.Errors, e.Error())
			broken[filepath.Clean(e.File)] = true
		}
	} else if err != nil {
		res.Errors = append(res.Errors, err.Error())
	}

	next := map[string]*pipeline{}
	for _, p := range pipes {
		if broken[filepath.Clean(p.File)] {
			continue
		}
		lp, err := s.newPipeline(proj, p, s.cfg.ProjectDir, "", "")
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			broken[filepath.Clean(p.File)] = true
			continue
		}
		next[p.Name] = lp
	}
	if proj != nil || err == nil {
		s.setProject(proj, "")
	}
	return s.swap(next, broken, res)
}

// setProject takes gantry.yaml as last loaded (from revision, "" for the
// working tree), and sizes the pools by it.
func (s *Server) setProject(proj *spec.Project, revision string) {
	s.mu.Lock()
	s.project, s.projectRev = proj, revision
	s.mu.Unlock()
	s.pools.SetSlots(proj.PoolSlots())
}

// PoolUsage reports each pool's slots, those in use and the tasks waiting,
// for the metrics.
func (s *Server) PoolUsage() []pool.Usage { return s.pools.Usage() }

// newPipeline derives what the server needs from a parsed pipeline whose
// files are in dir.
func (s *Server) newPipeline(proj *spec.Project, p *spec.Pipeline, dir, revision, env string) (*pipeline, error) {
	lp := &pipeline{spec: p, env: env, revision: revision, dir: dir, since: s.started, project: proj,
		envs: engine.EnvironmentsFor(proj, p, s.cfg.EnvSecrets)}
	if p.Schedule != nil && p.Schedule.Cron != "" {
		sc, err := schedule.New(p.Schedule.Cron, p.Schedule.Location)
		if err != nil {
			return nil, fmt.Errorf("%s: schedule.cron: %v", p.File, err)
		}
		lp.sched = sc
	}
	if env != "" {
		lp.params = spec.ParamsFor(proj, p, env)
		if e := proj.Environment(env); e != nil && e.Secrets != nil && s.cfg.EnvSecrets != nil {
			lp.secrets = s.cfg.EnvSecrets(*e.Secrets)
		}
	}
	return lp, nil
}

// swap installs next as the loaded pipelines. A pipeline whose file is
// broken keeps its previous version.
func (s *Server) swap(next map[string]*pipeline, broken map[string]bool, res api.ReloadResult) api.ReloadResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = map[string]string{}
	for _, e := range res.Errors {
		s.errs[e] = e
	}
	// A broken file keeps its previous pipeline.
	for name, old := range s.pipes {
		if _, ok := next[name]; !ok && broken[filepath.Clean(old.spec.File)] {
			next[name] = old
		}
	}
	linkUpstreams(next)
	s.pipes = next
	for name := range next {
		res.Loaded = append(res.Loaded, name)
	}
	sort.Strings(res.Loaded)
	return res
}

// linkUpstreams works out each pipeline's upstreams: those it names in
// schedule.after, and the producers of the datasets it consumes.
func linkUpstreams(pipes map[string]*pipeline) {
	producers := map[string][]string{}
	for name, p := range pipes {
		for _, d := range p.spec.Produces {
			producers[d] = append(producers[d], name)
		}
	}
	for name, p := range pipes {
		var ups []string
		if p.spec.Schedule != nil {
			ups = append(ups, p.spec.Schedule.After...)
		}
		for _, d := range p.spec.Consumes {
			ups = append(ups, producers[d]...)
		}
		slices.Sort(ups)
		ups = slices.Compact(ups)
		ups = slices.DeleteFunc(ups, func(u string) bool { return u == name })
		p.upstreams = ups
	}
}

// Reload re-reads the project; see load.
func (s *Server) Reload(ctx context.Context) (api.ReloadResult, error) {
	res := s.load()
	for _, e := range res.Errors {
		s.log.Error("reload: pipeline file does not load; its previous version keeps running", "error", e)
	}
	if err := s.loadCursors(ctx); err != nil {
		return res, err
	}
	s.log.Info("reloaded", "pipelines", len(res.Loaded), "errors", len(res.Errors))
	s.wake(s.wakeSchedule)
	s.wake(s.wakeDispatch)
	return res, nil
}

// loadCursors reads, for scheduled pipelines it does not know yet, the end
// of the last interval scheduled.
func (s *Server) loadCursors(ctx context.Context) error {
	s.mu.Lock()
	var need []string
	for name, p := range s.pipes {
		if _, ok := s.cursors[name]; !ok && p.sched != nil {
			need = append(need, name)
		}
	}
	s.mu.Unlock()
	for _, name := range need {
		runs, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{Pipeline: name, Env: &s.cfg.Env, Trigger: record.TriggerSchedule, Limit: 1})
		if err != nil {
			return fmt.Errorf("read schedule of %s: %w", name, err)
		}
		s.mu.Lock()
		if len(runs) > 0 {
			s.cursors[name] = runs[0].IntervalEnd
		} else {
			s.cursors[name] = time.Time{}
		}
		s.mu.Unlock()
	}
	return nil
}

// Pipelines lists the loaded pipelines, with their state, last run and
// freshness (api.PipelineRuns).
func (s *Server) Pipelines(ctx context.Context) ([]api.Pipeline, error) {
	now := time.Now()
	out, freshness := s.pipelineList(now)
	for i := range out {
		if err := api.PipelineRuns(ctx, s.cfg.Store, &s.cfg.Env, freshness[i], now, &out[i]); err != nil {
			return nil, fmt.Errorf("read runs of %s: %w", out[i].Name, err)
		}
	}
	return out, nil
}

// pipelineList is the loaded pipelines sorted by name, and each one's
// sla.freshness.
func (s *Server) pipelineList(now time.Time) ([]api.Pipeline, []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]api.Pipeline, 0, len(s.pipes))
	fresh := map[string]time.Duration{}
	for _, p := range s.pipes {
		fresh[p.spec.Name] = p.spec.SLA.Freshness
		ap := api.Pipeline{
			Name: p.spec.Name, File: p.spec.File, Owner: p.spec.Owner,
			Description: p.spec.Description, After: p.upstreams, Paused: s.paused[p.spec.Name],
			Env: p.env, Revision: p.revision, Spec: p.spec,
		}
		for _, t := range p.spec.Tasks {
			ap.Tasks = append(ap.Tasks, t.ID)
		}
		if p.spec.Schedule != nil {
			ap.Cron, ap.Timezone = p.spec.Schedule.Cron, p.spec.Schedule.Timezone
		}
		if p.sched != nil && !ap.Paused {
			ap.NextRun = p.sched.Next(now)
		}
		for _, e := range s.errs {
			if len(e) > len(p.spec.File) && e[:len(p.spec.File)] == p.spec.File {
				ap.Error = e
			}
		}
		out = append(out, ap)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	freshness := make([]time.Duration, len(out))
	for i, p := range out {
		freshness[i] = fresh[p.Name]
	}
	return out, freshness
}

// Runbook returns the text of a loaded pipeline's runbook file (as the
// revision it runs has it), or store.ErrNotFound when the pipeline is not
// loaded, its runbook is a URL or unset, or the file is outside the
// project folder (see spec.ProjectPath).
func (s *Server) Runbook(_ context.Context, name string) (string, error) {
	p, err := s.pipeline(name)
	if err != nil {
		return "", err
	}
	rb := p.spec.Runbook
	if rb == "" || strings.Contains(rb, "://") {
		return "", fmt.Errorf("pipeline %s has no runbook file: %w", name, store.ErrNotFound)
	}
	// Validation refused a runbook outside the project; the file may have
	// become a link out of it since, so look again before showing it.
	path, err := spec.ProjectPath(p.dir, rb)
	if errors.Is(err, spec.ErrOutsideProject) {
		return "", fmt.Errorf("runbook %s of %s is %v: %w", rb, name, err, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("runbook of %s: %w", name, err)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("runbook %s of %s: %w", rb, name, store.ErrNotFound)
	}
	return string(data), err
}
