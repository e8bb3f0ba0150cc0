package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ProjectFile is the name of a project's settings file.
const ProjectFile = "gantry.yaml"

// PipelinesDir is the folder of a project that holds its pipelines.
const PipelinesDir = "pipelines"

// LoadProject reads dir/gantry.yaml and every dir/pipelines/*.yaml and
// *.yml, and checks them against each other. A missing gantry.yaml gives
// a zero Project (every setting at its default). On error the returned
// project and pipelines hold what did parse, for reporting; callers that
// act on a project must not use them.
func LoadProject(dir string) (*Project, []*Pipeline, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, nil, Errors{{File: dir, Msg: readError(err)}}
	}
	if !info.IsDir() {
		return nil, nil, Errors{{File: dir, Msg: "not a folder"}}
	}
	s := loadProjectDir(dir)
	s.errs = append(s.errs, s.crossCheck()...)
	s.errs = append(s.errs, duplicateNames(s.pipelines)...)
	return s.project, s.pipelines, s.errs.Err()
}

// Load loads what `gantry validate PATH...` is given: each path is a
// pipeline file, a gantry.yaml, a project folder (holding gantry.yaml or
// pipelines/) or a folder of pipeline files. No path means ".". A
// pipeline given on its own is checked against the gantry.yaml of its
// project when there is one. The project returned is the first one found,
// or a zero Project. On error the results hold what did parse.
func Load(paths ...string) (*Project, []*Pipeline, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var (
		all     Errors
		first   *Project
		loaded  []*Pipeline
		visited = map[string]bool{}
	)
	var expanded []string
	for _, path := range paths {
		expanded = append(expanded, findProjects(path)...)
	}
	for _, path := range expanded {
		s := loadPath(path)
		s.errs = append(s.errs, s.crossCheck()...)
		all = append(all, s.errs...)
		if first == nil && s.hasProjectFile {
			first = s.project
		}
		for _, p := range s.pipelines {
			key, err := filepath.Abs(p.File)
			if err != nil {
				key = p.File
			}
			if !visited[key] {
				visited[key] = true
				loaded = append(loaded, p)
			}
		}
	}
	all = append(all, duplicateNames(loaded)...)
	if first == nil {
		first = &Project{Positions: map[string]Pos{}}
	}
	return first, loaded, all.Err()
}

// findProjects returns path itself unless it is a folder that is neither a
// project nor holds pipeline files; then it returns the project folders
// below it (a repo of several projects), or path when there are none.
func findProjects(path string) []string {
	if !isDir(path) || isProjectDir(path) || hasYAML(path) {
		return []string{path}
	}
	var found []string
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != path && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if p != path && isProjectDir(p) {
			found = append(found, p)
			return filepath.SkipDir
		}
		return nil
	})
	if len(found) == 0 {
		return []string{path}
	}
	return found
}

func isProjectDir(dir string) bool {
	return exists(filepath.Join(dir, ProjectFile)) || isDir(filepath.Join(dir, PipelinesDir))
}

func hasYAML(dir string) bool {
	for _, pat := range []string{"*.yaml", "*.yml"} {
		if m, _ := filepath.Glob(filepath.Join(dir, pat)); len(m) > 0 {
			return true
		}
	}
	return false
}

// loaded is one project, or part of one, and what went wrong reading it.
type loaded struct {
	project        *Project
	hasProjectFile bool // project came from a gantry.yaml
	complete       bool // every pipeline of the project is here
	pipelines      []*Pipeline
	errs           Errors
}

func loadPath(path string) *loaded {
	info, err := os.Stat(path)
	if err != nil {
		return &loaded{errs: Errors{{File: path, Msg: readError(err)}}}
	}
	switch {
	case info.IsDir() && isProjectDir(path):
		return loadProjectDir(path)
	case info.IsDir():
		s := &loaded{project: &Project{Dir: path, Positions: map[string]Pos{}}}
		s.readPipelines(path)
		return s
	case filepath.Base(path) == ProjectFile:
		s := &loaded{}
		s.readProject(filepath.Dir(path))
		return s
	default:
		s := &loaded{}
		s.readProject(ProjectDir(path))
		if p, err := LoadPipelineFile(path); err != nil {
			s.addErr(err)
		} else {
			s.pipelines = append(s.pipelines, p)
		}
		return s
	}
}

func loadProjectDir(dir string) *loaded {
	s := &loaded{complete: true}
	s.readProject(dir)
	s.readPipelines(filepath.Join(dir, PipelinesDir))
	return s
}

// readProject parses dir/gantry.yaml, or sets a zero project if there is
// none.
func (s *loaded) readProject(dir string) {
	s.project = &Project{Dir: dir, Positions: map[string]Pos{}}
	file := filepath.Join(dir, ProjectFile)
	data, err := ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	s.hasProjectFile = true
	if err != nil {
		s.addErr(fileError(file, err))
		return
	}
	p, err := ParseProject(file, data)
	if err != nil {
		s.addErr(err)
		s.project.File = file
		return
	}
	p.Dir = dir
	s.project = p
}

func (s *loaded) readPipelines(dir string) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		s.errs = append(s.errs, Error{File: dir, Msg: readError(err)})
		return
	}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") || name == ProjectFile {
			continue
		}
		p, err := LoadPipelineFile(filepath.Join(dir, name))
		if err != nil {
			s.addErr(err)
			continue
		}
		s.pipelines = append(s.pipelines, p)
	}
}

func (s *loaded) addErr(err error) {
	var es Errors
	if errors.As(err, &es) {
		s.errs = append(s.errs, es...)
		return
	}
	s.errs = append(s.errs, Error{Msg: err.Error()})
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// fileError is err from ReadFile as Errors: a size error as it is, a
// file system error as a short message.
func fileError(file string, err error) error {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	return Errors{{File: file, Msg: readError(err)}}
}

// readError turns a file system error into a short message.
func readError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ProjectDir returns the project folder of a pipeline file: the parent of
// its pipelines/ folder, or else the folder the file is in.
func ProjectDir(pipelineFile string) string {
	dir := filepath.Dir(pipelineFile)
	if filepath.Base(dir) == PipelinesDir {
		return filepath.Dir(dir)
	}
	return dir
}

// ProjectDir returns the folder of the project the pipeline belongs to;
// see the package doc on working directories.
func (p *Pipeline) ProjectDir() string { return ProjectDir(p.File) }

// WorkDir returns the folder a task runs in: the project folder when the
// task sets no `workdir:`, its workdir when that is absolute, and its
// workdir inside the project folder otherwise.
func (p *Pipeline) WorkDir(t *Task) string {
	switch {
	case t.Workdir == "":
		return p.ProjectDir()
	case filepath.IsAbs(t.Workdir):
		return filepath.Clean(t.Workdir)
	default:
		return filepath.Join(p.ProjectDir(), t.Workdir)
	}
}

func duplicateNames(ps []*Pipeline) Errors {
	var errs Errors
	first := map[string]*Pipeline{}
	for _, p := range ps {
		if q, dup := first[p.Name]; dup {
			at := p.Positions["pipeline"]
			errs.add(p.File, at, "pipeline", "", "duplicate pipeline name %q (also in %s:%d)", p.Name, q.File, q.Positions["pipeline"].Line)
			continue
		}
		first[p.Name] = p
	}
	return errs
}

// crossCheck checks pipelines against their project and each other.
func (s *loaded) crossCheck() Errors {
	var errs Errors
	if s.complete {
		names := map[string]bool{}
		var list []string
		for _, p := range s.pipelines {
			names[p.Name] = true
			list = append(list, p.Name)
		}
		for _, p := range s.pipelines {
			if p.Schedule == nil {
				continue
			}
			for i, up := range p.Schedule.After {
				if !names[up] {
					path := fmt.Sprintf("schedule.after[%d]", i)
					errs.add(p.File, p.Positions[path], "schedule.after", didYouMean(up, list), "unknown pipeline %q", up)
				}
			}
		}
	}
	if s.hasProjectFile && s.project != nil && s.project.Positions != nil {
		for _, p := range s.pipelines {
			errs = append(errs, checkAgainstProject(p, s.project)...)
		}
	}
	return errs
}

func checkAgainstProject(p *Pipeline, proj *Project) Errors {
	var errs Errors
	pf := relTo(p.File, proj.File)
	if r := p.Alerts.Route; r != "" {
		var names []string
		for _, rt := range proj.Alerts.Routes {
			names = append(names, rt.Name)
		}
		if !slices.Contains(names, r) {
			errs.add(p.File, p.Positions["alerts.route"], "alerts.route", orDeclared(r, names, "routes", pf), "unknown route %q", r)
		}
	}
	if pool := p.Concurrency.Pool; pool != "" {
		var names []string
		for _, pl := range proj.Pools {
			names = append(names, pl.Name)
		}
		if !slices.Contains(names, pool) {
			errs.add(p.File, p.Positions["concurrency.pool"], "concurrency.pool", orDeclared(pool, names, "pools", pf), "unknown pool %q", pool)
		}
	}
	if len(proj.Environments) > 0 {
		var names []string
		for _, e := range proj.Environments {
			names = append(names, e.Name)
		}
		for _, e := range p.Environments {
			if !slices.Contains(names, e.Name) {
				path := "environments." + e.Name
				errs.add(p.File, p.Positions[path], path, orDeclared(e.Name, names, "environments", pf), "unknown environment %q", e.Name)
			}
		}
	}
	envs := make([]string, 0, len(proj.Environments)+len(p.Environments))
	for _, e := range proj.Environments {
		envs = append(envs, e.Name)
	}
	for _, e := range p.Environments {
		if !slices.Contains(envs, e.Name) {
			envs = append(envs, e.Name)
		}
	}
	for i, t := range p.Tasks {
		if t.Environment != "" && !slices.Contains(envs, t.Environment) {
			path := fmt.Sprintf("tasks[%d].environment", i)
			errs.add(p.File, p.Positions[path], path, orDeclared(t.Environment, envs, "environments", pf), "unknown environment %q", t.Environment)
		}
	}
	return errs
}

// orDeclared hints at a close name, or else at where names are declared.
func orDeclared(got string, names []string, what, file string) string {
	if h := didYouMean(got, names); h != "" {
		return h
	}
	if len(names) == 0 {
		return fmt.Sprintf("%s declares no %s", file, what)
	}
	return fmt.Sprintf("%s declares %s", file, strings.Join(names, ", "))
}

func relTo(_, projectFile string) string {
	if projectFile == "" {
		return ProjectFile
	}
	return projectFile
}
