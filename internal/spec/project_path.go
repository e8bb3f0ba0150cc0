package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrOutsideProject is returned for a path a pipeline names that is not
// inside its project folder.
var ErrOutsideProject = errors.New("outside the project")

// ProjectPath returns the file that rel, a path a pipeline names relative
// to its project (a runbook), stands for in the project folder dir, with
// symbolic links resolved. It returns ErrOutsideProject when rel is
// absolute, climbs out with "..", or resolves through a link to a file
// outside dir. A file that does not exist is no error here: the path
// returned then fails to open.
func ProjectPath(dir, rel string) (string, error) {
	if !isLocal(rel) {
		return "", ErrOutsideProject
	}
	full := filepath.Join(dir, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	if errors.Is(err, fs.ErrNotExist) {
		return full, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", rel, err)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	if r, err := filepath.Rel(root, real); err != nil || !filepath.IsLocal(r) {
		return "", fmt.Errorf("%w: it resolves to %s", ErrOutsideProject, real)
	}
	return real, nil
}

// isLocal reports whether rel, as written in a pipeline file, names a path
// inside the project: neither absolute nor climbing out with "..".
func isLocal(rel string) bool {
	return !strings.HasPrefix(rel, "/") && filepath.IsLocal(filepath.FromSlash(rel))
}

// isURL reports whether a runbook is a link rather than a file.
func isURL(s string) bool { return strings.Contains(s, "://") }

// runbook decodes `runbook:`, a URL or a file in the project. A file
// outside the project is refused: the server shows the runbook to anyone
// who may view the pipeline. When the file was read from disk (d.dir is
// set) a link that leads out of the project is refused too.
func (d *decoder) runbook(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok || isURL(s) {
		return s
	}
	if !isLocal(s) {
		d.hintf(n, path, runbookHint, "%q is outside the project", clip(s))
		return ""
	}
	if d.dir == "" {
		return s
	}
	if _, err := ProjectPath(d.dir, s); errors.Is(err, ErrOutsideProject) {
		d.hintf(n, path, runbookHint, "%q is %s", clip(s), err)
		return ""
	}
	return s
}

const runbookHint = "name a file in the project folder, such as runbooks/orders.md, or a URL"
