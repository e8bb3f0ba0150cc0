package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
)

// Bundle is what one pipeline's revision is made of: its files' bytes by
// project-relative path (forward slashes).
type Bundle struct {
	Pipeline string
	// File is the pipeline file's path, e.g. "pipelines/orders.yaml".
	File string
	// Files are the pipeline file, gantry.yaml (when the project has one),
	// its runbook and the scripts its tasks run. Hash covers them.
	Files map[string][]byte
	// Context are the pipeline files of its upstreams (schedule.after,
	// transitively): the gate loads them to resolve the names. They are
	// kept with the revision but are not part of its content or hash.
	Context map[string][]byte
	// Hash is the sha256, hex, over Files sorted by path.
	Hash string
}

// Short is the first 12 characters of a content hash, as shown to people.
func Short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// Collect reads the bundle of pipeline name from the project in
// projectDir. A project that does not load is an error carrying the
// spec's messages, unless the pipeline itself loaded: the gate then
// reports what is wrong.
func Collect(projectDir, name string) (*Bundle, error) {
	proj, ps, err := spec.LoadProject(projectDir)
	for _, p := range ps {
		if p.Name == name {
			return collect(projectDir, proj, p, ps)
		}
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return nil, fmt.Errorf("%w: no pipeline %q in %s (it has %s)", ErrNotFound, name, projectDir, orNone(names))
}

// CollectAll reads the bundle of every pipeline of the project, by name.
// Unlike Collect it wants the whole project to load.
func CollectAll(projectDir string) ([]*Bundle, error) {
	proj, ps, err := spec.LoadProject(projectDir)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%w: %s has no pipelines", ErrInvalid, projectDir)
	}
	var out []*Bundle
	for _, p := range ps {
		b, err := collect(projectDir, proj, p, ps)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *Bundle) int { return strings.Compare(a.Pipeline, b.Pipeline) })
	return out, nil
}

func collect(projectDir string, proj *spec.Project, p *spec.Pipeline, all []*spec.Pipeline) (*Bundle, error) {
	root, err := filepath.Abs(projectDir)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Pipeline: p.Name, Files: map[string][]byte{}, Context: map[string][]byte{}}
	rel, ok := within(root, p.File)
	if !ok {
		return nil, fmt.Errorf("%w: pipeline file %s is outside %s", ErrInvalid, p.File, projectDir)
	}
	b.File = rel
	var total int64
	// add reads a file into to; a pipeline or gantry.yaml (specFile) at
	// most spec.MaxFileSize of it.
	add := func(to map[string][]byte, rel string, specFile bool) error {
		if _, done := to[rel]; done {
			return nil
		}
		read := os.ReadFile
		if specFile {
			read = spec.ReadFile
		}
		data, err := read(filepath.Join(root, filepath.FromSlash(rel)))
		var es spec.Errors
		if errors.As(err, &es) {
			return fmt.Errorf("%w: %w", ErrInvalid, es)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", rel, err)
		}
		if err := checkPath(rel); err != nil {
			return err
		}
		total += int64(len(data))
		if total > MaxBundleBytes || len(b.Files)+len(b.Context) >= MaxBundleFiles {
			return fmt.Errorf("%w: the revision of %s would hold more than %d files or %d MiB (at %s): keep build output and data out of it with %s, or list what it needs in files: in %s",
				ErrInvalid, p.Name, MaxBundleFiles, MaxBundleBytes>>20, rel, IgnoreFile, spec.ProjectFile)
		}
		to[rel] = data
		return nil
	}
	if err := add(b.Files, rel, true); err != nil {
		return nil, err
	}
	if isFile(filepath.Join(root, spec.ProjectFile)) {
		if err := add(b.Files, spec.ProjectFile, true); err != nil {
			return nil, err
		}
	}
	for _, f := range usedFiles(root, p) {
		if err := add(b.Files, f, false); err != nil {
			return nil, err
		}
	}
	files, err := ProjectFiles(root)
	if err != nil {
		return nil, err
	}
	others := pipelineFiles(root, all)
	for _, f := range files {
		if others[f] || (proj != nil && proj.Files != nil && !spec.MatchFiles(proj.Files, f)) {
			continue
		}
		if err := add(b.Files, f, false); err != nil {
			return nil, err
		}
	}
	for _, up := range upstreams(p, all) {
		if r, ok := within(root, up.File); ok && r != rel {
			if err := add(b.Context, r, true); err != nil {
				return nil, err
			}
		}
	}
	b.Hash = Hash(b.Files)
	return b, nil
}

// pipelineFiles are the project's pipeline files: each one belongs to
// its own pipeline's revisions, not to the others'.
func pipelineFiles(root string, all []*spec.Pipeline) map[string]bool {
	out := map[string]bool{}
	for _, q := range all {
		if r, ok := within(root, q.File); ok {
			out[r] = true
		}
	}
	for _, pat := range []string{"*.yaml", "*.yml"} {
		matches, _ := filepath.Glob(filepath.Join(root, spec.PipelinesDir, pat))
		for _, m := range matches {
			if r, ok := within(root, m); ok {
				out[r] = true
			}
		}
	}
	return out
}

// usedFiles returns the runbook and the files the tasks' commands name,
// project-relative: every word of a run: command that, without quotes,
// names a regular file inside the project, relative to the task's workdir
// or to the project folder.
func usedFiles(root string, p *spec.Pipeline) []string {
	set := map[string]bool{}
	try := func(base, word string) {
		if word == "" || strings.ContainsAny(word, "{}$*?") || filepath.IsAbs(word) {
			return
		}
		full := filepath.Join(base, filepath.FromSlash(word))
		if rel, ok := within(root, full); ok && !skipped(rel) && isFile(full) {
			set[rel] = true
		}
	}
	if p.Runbook != "" {
		try(root, p.Runbook)
	}
	for i := range p.Tasks {
		t := &p.Tasks[i]
		workdir := t.Workdir
		if workdir != "" && !filepath.IsAbs(workdir) {
			workdir = filepath.Join(root, workdir)
		}
		for _, w := range strings.Fields(t.Run) {
			w = strings.Trim(w, `"'();&|<>`)
			if _, v, ok := strings.Cut(w, "="); ok && !strings.HasPrefix(w, "-") {
				w = v // VAR=./file or --flag=file
			}
			if workdir != "" {
				try(workdir, w)
			}
			try(root, w)
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// upstreams returns the pipelines p waits for, transitively.
func upstreams(p *spec.Pipeline, all []*spec.Pipeline) []*spec.Pipeline {
	byName := map[string]*spec.Pipeline{}
	for _, q := range all {
		byName[q.Name] = q
	}
	seen := map[string]bool{p.Name: true}
	var out []*spec.Pipeline
	queue := []*spec.Pipeline{p}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur.Schedule == nil {
			continue
		}
		for _, name := range cur.Schedule.After {
			if q := byName[name]; q != nil && !seen[name] {
				seen[name] = true
				out = append(out, q)
				queue = append(queue, q)
			}
		}
	}
	return out
}

// within returns path relative to root with forward slashes, and whether
// it is inside root.
func within(root, p string) (string, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// Hash is the content hash of files: sha256, hex, over each path and its
// bytes, sorted by path, each length-prefixed so that no two sets of
// files hash alike.
func Hash(files map[string][]byte) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	h := sha256.New()
	for _, p := range paths {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p + "\n"))
		h.Write([]byte(strconv.Itoa(len(files[p])) + "\n"))
		h.Write(files[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Validate checks a bundle that came from elsewhere (an API request):
// safe relative paths, the pipeline file among them, a matching hash.
func (b *Bundle) Validate() error {
	if b.Pipeline == "" || b.File == "" {
		return fmt.Errorf("%w: bundle names no pipeline or pipeline file", ErrInvalid)
	}
	if _, ok := b.Files[b.File]; !ok {
		return fmt.Errorf("%w: bundle of %s lacks its pipeline file %s", ErrInvalid, b.Pipeline, b.File)
	}
	for _, m := range []map[string][]byte{b.Files, b.Context} {
		for p := range m {
			if err := checkPath(p); err != nil {
				return err
			}
			if skipped(p) {
				return fmt.Errorf("%w: bundle path %s: .gantry and .git folders are never part of a revision", ErrInvalid, quotePath(p))
			}
		}
	}
	if got := Hash(b.Files); b.Hash != "" && got != b.Hash {
		return fmt.Errorf("%w: bundle of %s: hash %s does not match its files (%s)", ErrInvalid, b.Pipeline, Short(b.Hash), Short(got))
	}
	b.Hash = Hash(b.Files)
	return nil
}

// Limits on a bundle's file names: every file system Gantry runs on takes
// them, and so does every store.
const (
	MaxPathBytes      = 1024 // a whole path
	MaxComponentBytes = 255  // one name between slashes
)

func checkPath(p string) error {
	if err := CheckPath(p); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// CheckPath refuses a bundle file name that is not a clean relative path
// inside the project, or that a file system or text column cannot hold:
// control characters (NUL among them), invalid UTF-8, a path over
// MaxPathBytes or a name over MaxComponentBytes. The error quotes p, cut
// to a readable length.
func CheckPath(p string) error {
	q := quotePath(p)
	switch {
	case p == "":
		return fmt.Errorf("bundle path is empty")
	case len(p) > MaxPathBytes:
		return fmt.Errorf("bundle path %s is %d bytes, over %d", q, len(p), MaxPathBytes)
	case !utf8.ValidString(p):
		return fmt.Errorf("bundle path %s is not valid UTF-8", q)
	case strings.ContainsFunc(p, unicode.IsControl):
		return fmt.Errorf("bundle path %s holds a control character (a NUL, tab, newline, ...)", q)
	}
	for _, name := range strings.Split(p, "/") {
		if len(name) > MaxComponentBytes {
			return fmt.Errorf("bundle path %s has a name of %d bytes, over %d", q, len(name), MaxComponentBytes)
		}
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || path.Clean(p) != p ||
		p == ".." || strings.HasPrefix(p, "../") || !fs.ValidPath(p) {
		return fmt.Errorf("bundle path %s: want a clean relative path inside the project", q)
	}
	return nil
}

// quotePath quotes p for an error message, its first 100 bytes at most.
func quotePath(p string) string {
	const limit = 100
	if len(p) > limit {
		return strconv.Quote(p[:limit]) + "…"
	}
	return strconv.Quote(p)
}

// Materialize writes the bundle's files, context included, under dir, so
// that spec.LoadProject(dir) loads it and its tasks can run with dir as
// the project folder. A file starting with "#!" is made executable.
func Materialize(b *Bundle, dir string) error {
	for _, m := range []map[string][]byte{b.Files, b.Context} {
		for p, data := range m {
			if err := checkPath(p); err != nil {
				return err
			}
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return fmt.Errorf("materialize %s: %w", b.Pipeline, err)
			}
			mode := os.FileMode(0o644)
			if strings.HasPrefix(string(data), "#!") {
				mode = 0o755
			}
			if err := os.WriteFile(full, data, mode); err != nil {
				return fmt.Errorf("materialize %s: %w", b.Pipeline, err)
			}
		}
	}
	return nil
}

// Load parses the bundle materialized in dir: its project and pipeline,
// with paths under dir so the pipeline can be run there.
func (b *Bundle) Load(dir string) (*spec.Project, *spec.Pipeline, error) {
	proj, ps, err := spec.LoadProject(dir)
	for _, p := range ps {
		if p.Name == b.Pipeline {
			if proj == nil {
				proj = &spec.Project{Dir: dir}
			}
			return proj, p, nil
		}
	}
	if err == nil {
		err = fmt.Errorf("%w: bundle holds no pipeline %s", ErrInvalid, b.Pipeline)
	}
	return nil, nil, err
}

// revisionFiles lists the bundle's files for a revision record.
func (b *Bundle) revisionFiles() ([]record.RevisionFile, map[string][]byte) {
	content := map[string][]byte{}
	var out []record.RevisionFile
	for _, m := range []struct {
		files   map[string][]byte
		context bool
	}{{b.Files, false}, {b.Context, true}} {
		for p, data := range m.files {
			if _, dup := content[p]; dup {
				continue
			}
			sum := sha256.Sum256(data)
			content[p] = data
			out = append(out, record.RevisionFile{Path: p, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Context: m.context})
		}
	}
	slices.SortFunc(out, func(a, b record.RevisionFile) int { return strings.Compare(a.Path, b.Path) })
	return out, content
}

// bundleOf rebuilds the bundle of a stored revision.
func bundleOf(rev record.Revision, content map[string][]byte) (*Bundle, error) {
	b := &Bundle{Pipeline: rev.Pipeline, Files: map[string][]byte{}, Context: map[string][]byte{}, Hash: rev.Hash}
	for _, f := range rev.Files {
		data, ok := content[f.Path]
		if !ok {
			return nil, fmt.Errorf("revision %s lacks the content of %s", Short(rev.Hash), f.Path)
		}
		if f.Context {
			b.Context[f.Path] = data
			continue
		}
		b.Files[f.Path] = data
	}
	for p, data := range b.Files {
		if strings.HasPrefix(p, spec.PipelinesDir+"/") && pipelineName(p, data) == rev.Pipeline {
			b.File = p
		}
	}
	if b.File == "" {
		return nil, fmt.Errorf("revision %s holds no pipeline file of %s", Short(rev.Hash), rev.Pipeline)
	}
	return b, nil
}

// pipelineName parses a pipeline file for its name; "" when it does not
// parse.
func pipelineName(file string, data []byte) string {
	p, err := spec.ParsePipeline(file, data)
	if err != nil || p == nil {
		return ""
	}
	return p.Name
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
