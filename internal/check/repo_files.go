package check

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// skipDirs are folders the repository walk never enters, and whose files
// the gate leaves out of a git listing too: the state folder, version
// control, and dependencies and environments fetched by tools.
var skipDirs = []string{".git", ".gantry", ".hg", ".svn", "node_modules", "vendor",
	".venv", "venv", "__pycache__", ".terraform", ".tox", ".mypy_cache", ".pytest_cache"}

// repository is the tree the gate scans: the git work tree that holds the
// project folder, or the project folder alone.
type repository struct {
	root string // absolute
	git  bool
}

// findRepository returns the git work tree holding dir (git rev-parse
// --show-toplevel), or dir when it is in none or git is not installed.
func findRepository(ctx context.Context, dir string) repository {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return repository{root: dir}
	}
	root := strings.TrimSpace(string(out))
	if root == "" {
		return repository{root: dir}
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	return repository{root: root, git: true}
}

// files lists the repository's files relative to its root, with forward
// slashes: in a git work tree those git tracks and the untracked ones
// .gitignore does not exclude; otherwise every file of a walk. Folders in
// skipDirs are left out either way. Symbolic links come back apart: the
// gate follows only those named like a file it always scans.
func (repo repository) files(ctx context.Context, unreadable func(rel string, err error)) (files, links []string, err error) {
	if !repo.git {
		files, links = repo.walk(unreadable)
		return files, links, nil
	}
	cmd := exec.CommandContext(ctx, "git", "-C", repo.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		files, links = repo.walk(unreadable)
		return files, links, nil
	}
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" || inSkipDir(f) {
			continue
		}
		info, err := os.Lstat(filepath.Join(repo.root, filepath.FromSlash(f)))
		switch {
		case err != nil:
			// deleted from the work tree but not from the index
		case info.Mode().IsRegular():
			files = append(files, f)
		case info.Mode()&fs.ModeSymlink != 0:
			links = append(links, f)
		}
	}
	slices.Sort(files)
	return slices.Compact(files), links, nil
}

func inSkipDir(rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		if slices.Contains(skipDirs, p) {
			return true
		}
	}
	return false
}

func (repo repository) walk(unreadable func(rel string, err error)) (files, links []string) {
	_ = filepath.WalkDir(repo.root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(repo.root, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			if p != repo.root && d != nil && d.IsDir() {
				unreadable(rel, err)
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir() && p != repo.root && slices.Contains(skipDirs, d.Name()):
			return filepath.SkipDir
		case d.Type().IsRegular():
			files = append(files, rel)
		case d.Type()&fs.ModeSymlink != 0:
			links = append(links, rel)
		}
		return nil
	})
	return files, links
}
