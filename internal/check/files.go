package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/check/secrets"
	"github.com/gantryhq/gantry/internal/spec"
)

// skipDirs are folders the repository walk never enters.
var skipDirs = []string{".git", ".gantry", "node_modules", "vendor"}

// collectFiles returns the files to scan, relative to the project folder
// with forward slashes: the pipelines, gantry.yaml, the scripts tasks run,
// the runbooks, and the repository's Dockerfiles, CI files, shell scripts
// and .env files.
func (r *run) collectFiles() []string {
	set := map[string]bool{}
	addIfExists := func(rel string) {
		if _, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(rel))); err == nil {
			set[rel] = true
		}
	}
	addIfExists(spec.ProjectFile)
	if entries, err := os.ReadDir(filepath.Join(r.dir, spec.PipelinesDir)); err == nil {
		for _, e := range entries {
			ext := path.Ext(e.Name())
			if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				set[spec.PipelinesDir+"/"+e.Name()] = true
			}
		}
	}
	for _, p := range r.pipelines {
		for _, s := range r.scripts(p) {
			set[s] = true
		}
		if p.Runbook != "" && !filepath.IsAbs(p.Runbook) {
			addIfExists(path.Clean(filepath.ToSlash(p.Runbook)))
		}
	}
	_ = filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != r.dir && d != nil && d.IsDir() {
				r.add(Finding{Rule: RuleUnreadableFile, File: r.rel(p), Message: "cannot read folder: " + reason(err)})
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != r.dir && slices.Contains(skipDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if rel := r.rel(p); repoFile(rel) {
			set[rel] = true
		}
		return nil
	})
	files := make([]string, 0, len(set))
	for f := range set {
		files = append(files, f)
	}
	slices.Sort(files)
	return files
}

// repoFile reports whether a repository file is one the gate scans.
func repoFile(rel string) bool {
	base := path.Base(rel)
	switch {
	case base == "Dockerfile", strings.HasPrefix(base, "Dockerfile."),
		strings.HasSuffix(base, ".Dockerfile"), strings.HasSuffix(base, ".dockerfile"):
		return true
	case base == ".gitlab-ci.yml":
		return true
	case path.Dir(rel) == ".github/workflows":
		return true
	case path.Ext(base) == ".sh":
		return true
	case base == ".env", strings.HasPrefix(base, ".env."):
		return true
	}
	return false
}

var interpreters = []string{"sh", "bash", "dash", "zsh", "ksh", "python", "python3", "node", "ruby", "perl"}

// scriptPath returns the file a run: command starts, as written, or "" when
// it starts a program on $PATH or a templated name.
func scriptPath(cmd string) string {
	words := strings.Fields(cmd)
	for len(words) > 0 && isAssignment(words[0]) {
		words = words[1:]
	}
	if len(words) > 1 && slices.Contains(interpreters, words[0]) && !strings.HasPrefix(words[1], "-") {
		words = words[1:]
	}
	if len(words) == 0 {
		return ""
	}
	w := strings.Trim(words[0], `"'`)
	if strings.Contains(w, "{{") || strings.Contains(w, "$") || !strings.Contains(w, "/") || filepath.IsAbs(w) {
		return ""
	}
	return w
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if c != '_' && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// scripts returns the scripts p's tasks run that lie in the project, and
// reports those that do not exist.
func (r *run) scripts(p *spec.Pipeline) []string {
	var out []string
	for i := range p.Tasks {
		t := &p.Tasks[i]
		s := scriptPath(t.Run)
		if s == "" {
			continue
		}
		abs := filepath.Join(p.WorkDir(t), filepath.FromSlash(s))
		if !filepath.IsAbs(abs) {
			abs, _ = filepath.Abs(abs)
		}
		rel := r.rel(abs)
		if filepath.IsAbs(filepath.FromSlash(rel)) {
			continue // outside the project: not ours to scan
		}
		if _, err := os.Lstat(abs); errors.Is(err, fs.ErrNotExist) {
			r.add(r.at(p, RuleMissingScript, t.Pos, fmt.Sprintf("tasks[%d] %q runs %s, which does not exist", i, t.ID, s), fmt.Sprintf("tasks[%d].run", i)))
			continue
		}
		out = append(out, rel)
	}
	return out
}

// readFiles reads every file once: unreadable and binary files become
// findings and are left out of the returned list; inline suppressions
// are collected from the rest.
func (r *run) readFiles(files []string) []string {
	var ok []string
	for _, rel := range files {
		data, tooLarge, err := readScanned(filepath.Join(r.dir, filepath.FromSlash(rel)))
		if err != nil {
			r.add(Finding{Rule: RuleUnreadableFile, File: rel, Message: "cannot read: " + reason(err)})
			continue
		}
		if tooLarge {
			ok = append(ok, rel) // the scanner says it is too large to scan
			continue
		}
		if bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
			r.add(Finding{Rule: RuleBinaryFile, File: rel, Message: "binary file, not scanned"})
			continue
		}
		r.parseInline(rel, data)
		ok = append(ok, rel)
	}
	return ok
}

// readScanned reads a file the scanner will scan, but not one larger than
// the scanner reads: that is left for it to report, unread.
func readScanned(path string) (data []byte, tooLarge bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil {
		return nil, false, err
	} else if info.Size() > secrets.MaxFileSize {
		return nil, true, nil
	}
	data, err = io.ReadAll(io.LimitReader(f, secrets.MaxFileSize+1))
	if err != nil {
		return nil, false, err
	}
	return data, len(data) > secrets.MaxFileSize, nil
}

// scanBatch is how many files go to the secret scanner at once, so that
// progress can be reported on a large repository.
const scanBatch = 256

// scanFiles collects, reads and secret-scans the project's files and
// returns the list of files scanned.
func (r *run) scanFiles(ctx context.Context) ([]string, error) {
	files := r.readFiles(r.collectFiles())
	for i := 0; i < len(files); i += scanBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := files[i:min(i+scanBatch, len(files))]
		found, errs := r.opts.Secrets.ScanFiles(ctx, r.dir, batch)
		for _, f := range found {
			r.add(Finding{
				Rule: RuleHardcodedSecret, File: r.rel(f.File), Line: f.Line, Col: f.Col,
				Message: fmt.Sprintf("%s (%s): %s", f.Desc, f.Rule, f.Masked),
			})
		}
		for _, err := range errs {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			f := Finding{Rule: RuleUnreadableFile, Message: "cannot scan: " + err.Error()}
			var pe *fs.PathError
			if errors.As(err, &pe) {
				f.File, f.Message = r.rel(pe.Path), "cannot scan: "+reason(err)
			}
			r.add(f)
		}
		if r.opts.Progress != nil {
			r.opts.Progress(i + len(batch))
		}
	}
	return files, nil
}

// reason turns a file system error into a short message.
func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file (a broken link?)"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
