package scaffold

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/gantryhq/gantry/internal/spec"
)

//go:embed all:templates
var templates embed.FS

// Template names Write accepts; DefaultTemplate is the one `gantry init`
// uses without --template.
const (
	TemplateData     = "data"
	TemplateDelivery = "delivery"
	DefaultTemplate  = TemplateData
)

// Templates lists the template names, sorted.
func Templates() []string { return []string{TemplateData, TemplateDelivery} }

// maxOwner bounds an owner's length; it is a team or person, not prose.
const maxOwner = 100

// Options say what to make.
type Options struct {
	Template string // one of Templates()
	Name     string // project and pipeline name (spec.CheckName rules)
	Owner    string // the pipeline's owner: a team or a person
}

// Validate reports the first bad option, saying which and why.
func (o Options) Validate() error {
	if !slices.Contains(Templates(), o.Template) {
		return fmt.Errorf("unknown template %q: want one of %s", o.Template, strings.Join(Templates(), ", "))
	}
	if err := spec.CheckName("project name", o.Name); err != nil {
		return err
	}
	owner := strings.TrimSpace(o.Owner)
	switch {
	case owner == "":
		return errors.New("owner is empty: name the team or person who runs this pipeline")
	case !utf8.ValidString(owner) || strings.ContainsFunc(owner, unicode.IsControl):
		return fmt.Errorf("invalid owner %q: use one line of printable text", o.Owner)
	case utf8.RuneCountInString(owner) > maxOwner:
		return fmt.Errorf("owner is %d characters long: at most %d", utf8.RuneCountInString(owner), maxOwner)
	}
	return nil
}

// ExistsError is Write's refusal: files it would make exist already.
type ExistsError struct {
	Dir   string
	Files []string // relative to Dir, slash-separated, sorted
}

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s: refusing to overwrite %d existing file(s): %s (nothing was written)",
		e.Dir, len(e.Files), strings.Join(e.Files, ", "))
}

// file is one rendered file of a template.
type file struct {
	rel  string // slash-separated, relative to the project folder
	data []byte
	mode os.FileMode
}

// Write renders template o.Template into dir (made if missing) and
// returns the files it wrote, relative to dir, sorted. It writes nothing
// when o is invalid or when any of the files exists (an *ExistsError).
func Write(dir string, o Options) ([]string, error) {
	o.Owner = strings.TrimSpace(o.Owner)
	if err := o.Validate(); err != nil {
		return nil, err
	}
	files, err := render(o)
	if err != nil {
		return nil, err
	}
	if err := refuseExisting(dir, files); err != nil {
		return nil, err
	}
	return writeAll(dir, files)
}

// render makes every file of o's template in memory.
func render(o Options) ([]file, error) {
	var files []file
	for _, root := range []string{"templates/common", "templates/" + o.Template} {
		err := fs.WalkDir(templates, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := renderOne(root, p, o)
			if err != nil {
				return err
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("render template %s: %w", o.Template, err)
		}
	}
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.rel, b.rel) })
	return files, nil
}

func renderOne(root, p string, o Options) (file, error) {
	src, err := templates.ReadFile(p)
	if err != nil {
		return file{}, err
	}
	t, err := template.New(p).Delims("[%", "%]").Option("missingkey=error").
		Funcs(template.FuncMap{"yaml": yamlString}).Parse(string(src))
	if err != nil {
		return file{}, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, o); err != nil {
		return file{}, err
	}
	rel := strings.TrimSuffix(strings.TrimPrefix(p, root+"/"), ".tmpl")
	rel = strings.ReplaceAll(rel, "__name__", o.Name)
	if rel == "gitignore" {
		rel = ".gitignore"
	}
	mode := os.FileMode(0o644)
	if path.Ext(rel) == ".sh" {
		mode = 0o755
	}
	return file{rel: rel, data: buf.Bytes(), mode: mode}, nil
}

// yamlString quotes s as a YAML double-quoted scalar (JSON's string
// syntax is a subset of it), so no owner can change the YAML around it.
func yamlString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
