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
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gantryhq/gantry/internal/check/secrets"
	"github.com/gantryhq/gantry/internal/spec"
)

// collectFiles returns the files to scan, relative to the project folder
// with forward slashes ("../" for files of the repository outside it):
// every file of the repository, and the pipelines, gantry.yaml, the
// scripts tasks run and the runbooks wherever they are. It also notes
// which files are of a kind the gate always scanned (r.typed): for those
// a file it cannot scan is an error, for the others a note.
func (r *run) collectFiles(ctx context.Context) ([]string, error) {
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
	for f := range set {
		r.typed[f] = true
	}
	files, links, err := r.repo.files(ctx, func(rel string, err error) {
		r.add(Finding{Rule: RuleUnreadableFile, File: r.display(rel), Message: "cannot read folder: " + reason(err)})
	})
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		d := r.display(f)
		set[d] = true
		if repoFile(f) {
			r.typed[d] = true
		}
	}
	for _, f := range links {
		if d := r.display(f); repoFile(f) || r.typed[d] {
			set[d], r.typed[d] = true, true
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out, nil
}

// display turns a path relative to the repository root into the path a
// report shows: relative to the project folder.
func (r *run) display(repoRel string) string {
	if r.repoPrefix == "" {
		return repoRel
	}
	rel, err := filepath.Rel(r.realDir, filepath.Join(r.repo.root, filepath.FromSlash(repoRel)))
	if err != nil {
		return repoRel
	}
	return filepath.ToSlash(rel)
}

// repoFile reports whether a repository file, relative to the repository
// root, is of a kind the gate always scanned: Dockerfiles, CI files,
// shell scripts and .env files.
func repoFile(rel string) bool {
	base := path.Base(rel)
	switch {
	case base == "Dockerfile", strings.HasPrefix(base, "Dockerfile."),
		strings.HasSuffix(base, ".Dockerfile"), strings.HasSuffix(base, ".dockerfile"):
		return true
	case base == ".gitlab-ci.yml":
		return true
	case path.Base(path.Dir(rel)) == "workflows" && path.Base(path.Dir(path.Dir(rel))) == ".github":
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
// are collected from the rest. A file of a kind the gate always scanned
// (r.typed) that cannot be read is an error; any other file of the
// repository that cannot be read, or is binary, or too large, is a note.
// It serves scanners that read the files themselves.
func (r *run) readFiles(files []string) []string {
	var ok, binaries []string
	for _, rel := range files {
		res := readFile(filepath.Join(r.dir, filepath.FromSlash(rel)), r.blobs != nil)
		res.ignore = res.data
		if r.take(rel, res, &binaries) {
			ok = append(ok, rel)
		}
	}
	r.noteBinaries(binaries)
	return ok
}

// take records what reading rel found and reports whether the file goes
// to the secret scanner: unreadable, binary and too large files become
// findings (binaries outside the typed files are gathered for one note).
func (r *run) take(rel string, res fileRead, binaries *[]string) bool {
	typed := r.typed[rel]
	switch {
	case res.err != nil && typed:
		r.add(Finding{Rule: RuleUnreadableFile, File: rel, Message: "cannot read: " + reason(res.err)})
		return false
	case res.err != nil:
		r.add(Finding{Rule: RuleBinaryFile, File: rel, Message: "cannot read, not scanned: " + reason(res.err)})
		return false
	case res.tooLarge && typed:
		return true // the scanner says it is too large to scan
	case res.tooLarge:
		r.add(Finding{Rule: RuleBinaryFile, File: rel, Message: fmt.Sprintf("file over %d MiB, not scanned", secrets.MaxFileSize>>20)})
		return false
	case res.binary && typed:
		r.add(Finding{Rule: RuleBinaryFile, File: rel, Message: "binary file, not scanned"})
		return false
	case res.binary:
		*binaries = append(*binaries, rel)
		return false
	}
	if res.ignore != nil {
		r.parseInline(rel, res.ignore)
	}
	if r.blobs != nil {
		r.blobs[res.blob] = true
	}
	return true
}

// fileRead is what reading one file of the scan found.
type fileRead struct {
	data             []byte // nil once scanned
	ignore           []byte // the text, when it holds inline suppressions
	blob             string // git's blob id, when --history needs it
	tooLarge, binary bool
	err              error
}

// readFile reads a file for the scan and sniffs it for binary content.
func readFile(path string, blob bool) fileRead {
	data, tooLarge, err := readScanned(path)
	res := fileRead{data: data, tooLarge: tooLarge, err: err}
	if err != nil || tooLarge {
		return res
	}
	res.binary = bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
	if !res.binary && blob {
		res.blob = blobHash(data)
	}
	return res
}

// noteBinaries adds one note for the binary files of the repository
// (images, archives, data), at the first of them: one a file would bury
// the report of a repository with many.
func (r *run) noteBinaries(files []string) {
	if len(files) == 0 {
		return
	}
	msg := "binary file, not scanned"
	if n := len(files) - 1; n > 0 {
		more := files[1:min(len(files), 6)]
		msg = fmt.Sprintf("binary file, not scanned, nor %d more: %s", n, strings.Join(more, ", "))
		if n > len(more) {
			msg += ", …"
		}
	}
	r.add(Finding{Rule: RuleBinaryFile, File: files[0], Message: msg})
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
// returns the list of files scanned. With a scanner that scans text, each
// file is read once, by one of a few workers that also scan it; with
// another, the files are read here and the scanner reads them again.
func (r *run) scanFiles(ctx context.Context) ([]string, error) {
	collected, err := r.collectFiles(ctx)
	if err != nil {
		return nil, err
	}
	if ts, ok := r.opts.Secrets.(TextScanner); ok {
		return r.scanTexts(ctx, ts, collected)
	}
	files := r.readFiles(collected)
	for i := 0; i < len(files); i += scanBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := files[i:min(i+scanBatch, len(files))]
		if err := r.scanPaths(ctx, batch); err != nil {
			return nil, err
		}
		if r.opts.Progress != nil {
			r.opts.Progress(i+len(batch), len(files))
		}
	}
	return files, nil
}

// scanTexts reads and scans files in parallel, on as many workers as Go
// runs threads, a batch at a time, and records the results in file order.
// Typed files too large to read go to the scanner by path, which reports
// them (and what their names alone give away).
func (r *run) scanTexts(ctx context.Context, ts TextScanner, files []string) ([]string, error) {
	var ok, binaries, large []string
	results := make([]fileRead, scanBatch)
	found := make([][]SecretFinding, scanBatch)
	for i := 0; i < len(files); i += scanBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := files[i:min(i+scanBatch, len(files))]
		parallel(len(batch), func(j int) {
			res := readFile(filepath.Join(r.dir, filepath.FromSlash(batch[j])), r.blobs != nil)
			found[j] = nil
			if res.err == nil && !res.tooLarge && !res.binary {
				found[j] = ts.ScanText(batch[j], res.data)
				if bytes.Contains(res.data, []byte("gantry:ignore")) {
					res.ignore = res.data
				}
			}
			res.data = nil
			results[j] = res
		})
		for j, rel := range batch {
			if !r.take(rel, results[j], &binaries) {
				continue
			}
			ok = append(ok, rel)
			if results[j].tooLarge {
				large = append(large, rel)
			}
			r.addSecrets(found[j])
			results[j], found[j] = fileRead{}, nil
		}
		if r.opts.Progress != nil {
			r.opts.Progress(i+len(batch), len(files))
		}
	}
	r.noteBinaries(binaries)
	if err := r.scanPaths(ctx, large); err != nil {
		return nil, err
	}
	return ok, nil
}

// parallel calls fn(0) … fn(n-1) on up to GOMAXPROCS goroutines and
// returns when all are done.
func parallel(n int, fn func(int)) {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for j := int(next.Add(1)) - 1; j < n; j = int(next.Add(1)) - 1 {
				fn(j)
			}
		})
	}
	wg.Wait()
}

// scanPaths has the secret scanner read and scan files, and records what
// it finds and the files it could not scan.
func (r *run) scanPaths(ctx context.Context, files []string) error {
	if len(files) == 0 {
		return nil
	}
	found, errs := r.opts.Secrets.ScanFiles(ctx, r.dir, files)
	r.addSecrets(found)
	for _, err := range errs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f := Finding{Rule: RuleUnreadableFile, Message: "cannot scan: " + err.Error()}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			f.File, f.Message = r.relOut(pe.Path), "cannot scan: "+reason(err)
		}
		r.add(f)
	}
	return nil
}

func (r *run) addSecrets(found []SecretFinding) {
	for _, f := range found {
		r.add(Finding{
			Rule: RuleHardcodedSecret, File: r.relOut(f.File), Line: f.Line, Col: f.Col,
			Message: fmt.Sprintf("%s (%s): %s", f.Desc, f.Rule, f.Masked),
		})
	}
}

// relOut is rel for the files of the repository: one outside the project
// folder is shown relative to it too, with "../".
func (r *run) relOut(p string) string {
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(filepath.Clean(p))
	}
	if rel, err := filepath.Rel(r.dir, p); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
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
