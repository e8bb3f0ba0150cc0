package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// refuseExisting returns an *ExistsError naming every file of files that
// exists in dir, or a folder on its way that is not a folder.
func refuseExisting(dir string, files []file) error {
	var clash []string
	for _, f := range files {
		if c, ok := clashOf(dir, f.rel); ok && !slices.Contains(clash, c) {
			clash = append(clash, c)
		}
	}
	if len(clash) == 0 {
		return nil
	}
	slices.Sort(clash)
	return &ExistsError{Dir: dir, Files: clash}
}

// clashOf says whether writing rel in dir would meet something there: the
// file itself (of any kind, a link included), or a parent that is not a
// folder; it returns that path.
func clashOf(dir, rel string) (string, bool) {
	_, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	if err == nil {
		return rel, true
	}
	for p := path.Dir(rel); p != "."; p = path.Dir(p) {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil && !fi.IsDir() {
			return p, true
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		// Something we cannot even look at is not ours to replace.
		return rel, true
	}
	return "", false
}

// writeAll writes files into dir, each created exclusively so that a file
// appearing meanwhile is never overwritten; on an error it removes what it
// wrote and the folders it made, leaving dir as it found it.
func writeAll(dir string, files []file) ([]string, error) {
	var written, made []string
	undo := func() {
		for _, p := range slices.Backward(written) {
			_ = os.Remove(p)
		}
		for _, p := range slices.Backward(made) {
			_ = os.Remove(p) // only when empty: never what someone else put there
		}
	}
	rels := make([]string, 0, len(files))
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.rel))
		m, err := mkdirs(filepath.Dir(p))
		made = append(made, m...)
		if err == nil {
			err = writeNew(p, f)
		}
		if err != nil {
			undo()
			return nil, err
		}
		written = append(written, p)
		rels = append(rels, f.rel)
	}
	return rels, nil
}

// mkdirs makes folder d and its missing parents and returns those it
// made, outermost first.
func mkdirs(d string) ([]string, error) {
	var missing []string
	for p := d; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		missing = append(missing, p)
	}
	slices.Reverse(missing)
	var made []string
	for _, p := range missing {
		if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return made, fmt.Errorf("make %s: %w", p, err)
		} else if err == nil {
			made = append(made, p)
		}
	}
	return made, nil
}

// openFile is os.OpenFile; a test makes it fail part-way.
var openFile = os.OpenFile

func writeNew(p string, f file) error {
	out, err := openFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("refusing to overwrite %s: it appeared while writing (the files written before it were removed)", p)
		}
		return fmt.Errorf("write %s: %w", p, err)
	}
	if _, err := out.Write(f.data); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	// The umask may have taken the execute bits a script needs.
	return os.Chmod(p, f.mode)
}
