package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Limits on what one revision holds: it is kept in the store, written to
// every machine that runs it, and sent base64-encoded in one API request
// when deployed through a server (api.MaxBundleBytes, 32 MiB).
const (
	MaxBundleBytes = 16 << 20 // all files together
	MaxBundleFiles = 10_000
)

// IgnoreFile names the project file whose patterns keep files out of
// every revision; see ProjectFiles.
const IgnoreFile = ".gantryignore"

// ProjectFiles lists the files of the project in root, project-relative
// with forward slashes, sorted: every file git tracks under root when
// root is in a git work tree (and git is installed), otherwise every file
// under it. Either way .gantry/ folders and what .gantryignore excludes are
// left out. A symbolic link that leads out of the project is an error; one
// to a folder is skipped (its files are listed where they are).
func ProjectFiles(root string) ([]string, error) {
	ign, err := readIgnore(root)
	if err != nil {
		return nil, err
	}
	files, ok := gitFiles(root)
	if !ok {
		if files, err = walkFiles(root); err != nil {
			return nil, err
		}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	out := files[:0]
	for _, f := range files {
		if skipped(f) || ign.match(f) {
			continue
		}
		keep, err := regular(root, realRoot, f)
		if err != nil {
			return nil, err
		}
		if keep {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// skipped is true for Gantry's own state and git's.
func skipped(rel string) bool {
	for _, part := range strings.Split(rel, "/") {
		if part == ".gantry" || part == ".git" {
			return true
		}
	}
	return false
}

// regular says whether rel is a file to keep: a regular file, or a
// symbolic link to one inside the project. A link out of it is an error;
// a file git tracks that is gone from the folder is not kept.
func regular(root, realRoot, rel string) (bool, error) {
	full := filepath.Join(root, filepath.FromSlash(rel))
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if info.Mode()&fs.ModeSymlink == 0 {
		return info.Mode().IsRegular(), nil
	}
	target, err := filepath.EvalSymlinks(full)
	if err != nil {
		return false, fmt.Errorf("%w: %s is a symbolic link that leads nowhere (%v)", ErrInvalid, rel, err)
	}
	if _, ok := within(realRoot, target); !ok {
		return false, fmt.Errorf("%w: %s is a symbolic link to %s, outside the project: a revision holds only the project's files (copy it in, or add it to %s)", ErrInvalid, rel, target, IgnoreFile)
	}
	return isFile(target), nil
}

// gitFiles lists the files git tracks under root; false when root is not
// in a git work tree or git cannot be run.
func gitFiles(root string) ([]string, bool) {
	cmd := exec.Command("git", "-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--", ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	out, err := cmd.Output()
	if err != nil {
		return nil, false
	}
	var files []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return files, true
}

// walkFiles lists every file and symbolic link under root.
func walkFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipped(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list project files: %w", err)
	}
	return files, nil
}

// ignore is .gantryignore: one pattern a line; blank lines and lines
// starting with # are skipped. A pattern is a path.Match glob; with a
// slash in it (other than at its end) it is matched against the whole
// project-relative path, from the project folder, otherwise against each
// name in the path; a trailing slash matches folders only. A pattern
// matching a folder excludes everything in it. Negation (!) is not
// supported.
type ignore struct {
	anchored, names, dirNames []string
}

func readIgnore(root string) (*ignore, error) {
	ign := &ignore{}
	data, err := os.ReadFile(filepath.Join(root, IgnoreFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ign, nil
	}
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("%w: %s:%d: %q: %s", ErrInvalid, IgnoreFile, line, p, why)
		}
		if strings.HasPrefix(p, "!") {
			return nil, bad("negation (!) is not supported; narrow the revision with files: in gantry.yaml instead")
		}
		dirOnly := strings.HasSuffix(p, "/")
		p = strings.TrimPrefix(strings.TrimSuffix(p, "/"), "/")
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return nil, bad("not a valid glob (patterns are Go path.Match globs: *, ?, [a-z])")
		}
		switch {
		case strings.Contains(p, "/") || strings.HasPrefix(strings.TrimSpace(sc.Text()), "/"):
			ign.anchored = append(ign.anchored, p)
		case dirOnly:
			ign.dirNames = append(ign.dirNames, p)
		default:
			ign.names = append(ign.names, p)
		}
	}
	return ign, sc.Err()
}

// match reports whether file rel, or a folder it is in, is ignored.
func (ign *ignore) match(rel string) bool {
	parts := strings.Split(rel, "/")
	for i, name := range parts {
		dir := i < len(parts)-1
		prefix := strings.Join(parts[:i+1], "/")
		for _, p := range ign.anchored {
			if ok, _ := path.Match(p, prefix); ok {
				return true
			}
		}
		for _, p := range ign.names {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		if dir {
			for _, p := range ign.dirNames {
				if ok, _ := path.Match(p, name); ok {
					return true
				}
			}
		}
	}
	return false
}
