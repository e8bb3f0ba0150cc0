package check

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/spec"
)

// ErrUnknownEnv is returned by Check when Options.Env names an environment
// neither gantry.yaml nor any pipeline declares.
var ErrUnknownEnv = errors.New("unknown environment")

// Options configure a Checker. The zero value checks every environment
// with the built-in secret scanner and skips the runbook command check.
type Options struct {
	// Env limits the production rules to one environment: they apply when
	// it is a production environment and not at all otherwise. "" checks
	// every production environment the project or a pipeline declares.
	Env string
	// Commands reads args (the words after "gantry", as a shell passes
	// them) as the gantry command does: what the command line names, or an
	// error saying which command, flag or argument is wrong. The CLI
	// passes one that walks its command tree; nil skips the
	// runbook-commands rule.
	Commands func(args []string) (CommandLine, error)
	// Partial says the folder holds only some of the project's pipelines
	// (a deployment's bundle: the pipeline and its upstreams), so a runbook
	// may name a pipeline the gate cannot see.
	Partial bool
	// Secrets scans files for hardcoded secrets; nil means the built-in
	// scanner.
	Secrets SecretScanner
	// Now gives today's date for suppression expiry; nil means time.Now.
	Now func() time.Time
	// Progress, when set, is called with the number of files (and, with
	// History, blobs) scanned so far and the number to scan, from the
	// goroutine that called Check.
	Progress func(scanned, total int)
	// History also scans every commit reachable from HEAD in the git
	// repository holding the project: a secret committed and later
	// removed is still leaked. It needs git and a SecretScanner that is a
	// TextScanner; without a git repository it is a finding.
	History bool
	// Baseline names a file of accepted findings (see ReadBaseline), relative
	// to the project folder or absolute; "" means none.
	Baseline string
	// TestFires returns when an alert route last had a test-fire every
	// channel took (ok false: never). nil skips the alert-test-fire rule.
	TestFires func(route string) (last time.Time, ok bool)
	// Workers returns the labels of every active registered worker (ok
	// false: the store has no workers to go by, as on SQLite, or could
	// not say). nil skips the worker-labels rule.
	Workers func() (labels []map[string]string, ok bool)
}

// Checker runs the readiness gate. It is safe for concurrent use.
type Checker struct {
	opts Options
}

// New returns a Checker.
func New(opts Options) (*Checker, error) {
	if opts.Secrets == nil {
		s, err := newSecretScanner()
		if err != nil {
			return nil, fmt.Errorf("secret scanner: %w", err)
		}
		opts.Secrets = s
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Checker{opts: opts}, nil
}

// run is the state of one Check.
type run struct {
	opts      Options
	dir       string
	project   *spec.Project
	pipelines []*spec.Pipeline
	// projectOK is false when gantry.yaml exists but did not parse: rules
	// that look routes and environments up in it are skipped.
	projectOK bool
	findings  []Finding
	inline    map[string][]inlineSuppression // by file
	// repo is the repository scanned; realDir is dir with its links
	// resolved, and repoPrefix the project folder's path in the
	// repository ("" when it is the root).
	repo       repository
	realDir    string
	repoPrefix string
	typed      map[string]bool // files of a kind the gate always scanned
	blobs      map[string]bool // git blob ids of the files scanned, for --history
	scanned    int             // files scanned
	routes     *routing.Tree   // built on first use
	// modeSuppressed are the coverage findings alerts.suppress took.
	modeSuppressed []Suppressed
	// The active workers' labels, asked for on first use.
	workerLabels           []map[string]string
	workersRead, workersOK bool
}

// Check runs every rule over the project in dir. It returns an error only
// when it cannot check at all (dir is not a folder, Env is unknown, ctx
// is cancelled); everything wrong with the project is a finding.
func (c *Checker) Check(ctx context.Context, dir string) (*Report, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	r := &run{opts: c.opts, dir: abs, projectOK: true, inline: map[string][]inlineSuppression{},
		typed: map[string]bool{}}
	r.locate(ctx)
	r.load()
	if err := r.checkEnv(); err != nil {
		return nil, err
	}
	for _, p := range r.pipelines {
		r.checkPipeline(p)
		r.checkTestFire(p)
		r.checkWorkerLabels(p)
	}
	r.checkUpstreams()
	r.checkDeployGates()
	files, err := r.scanFiles(ctx)
	if err != nil {
		return nil, err
	}
	r.scanned = len(files)
	if c.opts.History {
		if err := r.scanHistory(ctx); err != nil {
			return nil, err
		}
	}
	for _, p := range r.pipelines {
		r.checkRunbook(p)
	}
	rep := &Report{Files: files}
	rep.Findings, rep.Suppressed = r.suppress()
	return rep, nil
}

// locate finds the repository the project folder is in.
func (r *run) locate(ctx context.Context) {
	r.realDir = r.dir
	if d, err := filepath.EvalSymlinks(r.dir); err == nil {
		r.realDir = d
	}
	r.repo = findRepository(ctx, r.realDir)
	if rel, err := filepath.Rel(r.repo.root, r.realDir); err == nil && rel != "." {
		r.repoPrefix = filepath.ToSlash(rel)
	}
	if r.opts.History {
		r.blobs = map[string]bool{}
	}
}

// load parses the project; what does not parse becomes findings.
func (r *run) load() {
	proj, pipelines, err := spec.LoadProject(r.dir)
	r.project, r.pipelines = proj, pipelines
	if r.project == nil {
		r.project = &spec.Project{Dir: r.dir, Positions: map[string]spec.Pos{}}
	}
	var errs spec.Errors
	if err != nil && !errors.As(err, &errs) {
		errs = spec.Errors{{Msg: err.Error()}}
	}
	projectFile := filepath.Join(r.dir, spec.ProjectFile)
	for _, e := range errs {
		if e.File != "" && filepath.Clean(e.File) == filepath.Clean(projectFile) {
			r.projectOK = false
		}
		// Hints name files by the path spec was given; show them relative.
		msg := strings.ReplaceAll(e.Msg, r.dir+string(filepath.Separator), "")
		if e.Path != "" {
			msg = e.Path + ": " + msg
		}
		if e.Hint != "" {
			msg += " (" + strings.ReplaceAll(e.Hint, r.dir+string(filepath.Separator), "") + ")"
		}
		r.add(Finding{Rule: RuleInvalidSpec, File: r.rel(e.File), Line: e.Line, Col: e.Col, Message: msg})
	}
	if len(r.pipelines) == 0 && len(errs) == 0 {
		r.add(Finding{Rule: RuleInvalidSpec, File: spec.PipelinesDir, Message: "no pipelines: want pipelines/*.yaml in the project folder"})
	}
}

// checkEnv rejects an --env that nothing declares.
func (r *run) checkEnv() error {
	if r.opts.Env == "" {
		return nil
	}
	if slices.Contains(r.envNames(), r.opts.Env) {
		return nil
	}
	known := r.envNames()
	if len(known) == 0 {
		return fmt.Errorf("%w %q: the project declares no environments", ErrUnknownEnv, r.opts.Env)
	}
	return fmt.Errorf("%w %q: the project declares %s", ErrUnknownEnv, r.opts.Env, strings.Join(known, ", "))
}

func (r *run) envNames() []string {
	var names []string
	for _, e := range r.project.Environments {
		names = append(names, e.Name)
	}
	for _, p := range r.pipelines {
		for _, e := range p.Environments {
			if !slices.Contains(names, e.Name) {
				names = append(names, e.Name)
			}
		}
	}
	return names
}

// add records a finding, filling in the rule's severity and fix hint and
// a position of at least 1:1.
func (r *run) add(f Finding) {
	rule := ruleFor(f.Rule)
	f.Severity = rule.Severity
	if f.Fix == "" {
		f.Fix = rule.Fix
	}
	if f.Line < 1 {
		f.Line = 1
	}
	if f.Col < 1 {
		f.Col = 1
	}
	r.findings = append(r.findings, f)
}

// rel turns a path into one relative to the project folder, with forward
// slashes; a path outside it is kept as given.
func (r *run) rel(path string) string {
	if path == "" {
		return ""
	}
	if !filepath.IsAbs(path) {
		return filepath.ToSlash(filepath.Clean(path))
	}
	rel, err := filepath.Rel(r.dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}
