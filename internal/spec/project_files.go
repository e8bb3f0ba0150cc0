package spec

import (
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// projectFiles reads files: [PATTERN, ...], the project files a revision
// holds (see Project.Files). Each pattern is a project-relative path or a
// path.Match glob; it must be clean, relative and inside the project.
func (d *decoder) projectFiles(n *yaml.Node, path string) []string {
	items, ok := d.sequence(n, path)
	if !ok {
		return nil
	}
	out := []string{}
	first := map[string]int{}
	for i, it := range items {
		item := index(path, i)
		p, ok := d.str(it, item)
		if !ok {
			continue
		}
		if msg := CheckFilePattern(p); msg != "" {
			d.errorf(it, item, "%s", msg)
			continue
		}
		p = strings.TrimSuffix(p, "/")
		if line, dup := first[p]; dup {
			d.errorf(it, item, "%q is listed twice (first at line %d)", p, line)
			continue
		}
		first[p] = it.Line
		d.pos[item] = posOf(it)
		out = append(out, p)
	}
	if len(items) == 0 {
		d.errorf(n, path, "lists no files: name at least one path or glob, or leave files: out for every project file")
	}
	return out
}

// CheckFilePattern says what is wrong with a files: pattern, or "".
func CheckFilePattern(p string) string {
	q := strings.TrimSuffix(p, "/")
	switch {
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\"):
		return "want a path relative to the project folder, with forward slashes, got " + quote(p)
	case q == "" || q == "." || q == ".." || strings.HasPrefix(q, "../") || path.Clean(q) != q:
		return "want a clean path inside the project, got " + quote(p)
	}
	if _, err := path.Match(q, ""); err != nil {
		return "bad glob " + quote(p) + ": " + err.Error() + " (patterns are Go path.Match globs: *, ?, [a-z])"
	}
	return ""
}

// MatchFiles reports whether project-relative file rel is selected by one
// of patterns: a pattern matches the file or one of its folders, so
// "scripts" and "scripts/*" both select scripts/a/b.sh.
func MatchFiles(patterns []string, rel string) bool {
	for _, p := range patterns {
		for a := rel; a != "." && a != ""; a = path.Dir(a) {
			if ok, _ := path.Match(p, a); ok {
				return true
			}
		}
	}
	return false
}

func quote(s string) string { return `"` + clip(s) + `"` }
