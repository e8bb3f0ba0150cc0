package ci

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/gantryhq/gantry/internal/spec"
)

// Targets are the CI systems Render knows, by the name `gantry ci` takes.
var Targets = []string{"github", "gitlab"}

// DefaultFile is where each target's configuration lives in a repository.
var DefaultFile = map[string]string{
	"github": ".github/workflows/gantry.yml",
	"gitlab": ".gitlab-ci.yml",
}

// Module is the Go module the CI jobs install gantry from.
const Module = "github.com/gantryhq/gantry"

// ErrUnknownTarget is returned for a target that is not in Targets.
var ErrUnknownTarget = errors.New("unknown CI target")

// Options is what a CI configuration is made from.
type Options struct {
	// Dir is the project folder relative to the repository's root, with
	// forward slashes; "" or "." is the root itself.
	Dir       string
	Project   *spec.Project
	Pipelines []*spec.Pipeline
	// Dockerfile is the repository-relative path of the app's Dockerfile,
	// or "" when there is none (and no build stage).
	Dockerfile string
}

//go:embed templates/*.tmpl
var templates embed.FS

// tmpl is parsed on first use, not when the binary starts.
var tmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{"q": quote, "join": strings.Join}).ParseFS(templates, "templates/*.tmpl"))
})

// data is what the templates see.
type data struct {
	Module       string
	Project      string
	Dir          string
	Pipelines    []string
	Staging      string
	Production   string
	Test         string
	Dockerfile   string
	BuildContext string
	StagingNeeds []string // GitHub: the jobs a staging deploy waits for
}

// Render writes target's CI configuration for the project in o.
func Render(target string, o Options) ([]byte, error) {
	if !slices.Contains(Targets, target) {
		return nil, fmt.Errorf("%w %q (want %s)", ErrUnknownTarget, target, strings.Join(Targets, " or "))
	}
	d, err := newData(o)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := tmpl().ExecuteTemplate(&out, target+".yml.tmpl", d); err != nil {
		return nil, fmt.Errorf("render %s: %w", target, err)
	}
	return out.Bytes(), nil
}

func newData(o Options) (*data, error) {
	if o.Project == nil || o.Project.File == "" {
		return nil, errors.New("the project has no gantry.yaml: its environments say where the CI deploys")
	}
	d := &data{Module: Module, Project: o.Project.Name, Dir: path.Clean("./" + o.Dir)}
	for _, e := range o.Project.Environments {
		switch {
		case e.Staging && d.Staging == "":
			d.Staging = e.Name
		case e.Production && d.Production == "":
			d.Production = e.Name
		}
	}
	if d.Staging == "" {
		return nil, fmt.Errorf("%s: no environment has `staging: true`: the CI deploys there first", o.Project.File)
	}
	if d.Production == "" {
		return nil, fmt.Errorf("%s: no environment has `production: true`: the CI promotes there", o.Project.File)
	}
	for _, p := range o.Pipelines {
		d.Pipelines = append(d.Pipelines, p.Name)
	}
	if len(d.Pipelines) == 0 {
		return nil, fmt.Errorf("%s: the project has no pipeline to deploy", o.Project.File)
	}
	slices.Sort(d.Pipelines)
	d.Test = o.Project.Test.Run
	d.StagingNeeds = []string{"lint"}
	if d.Test != "" {
		d.StagingNeeds = append(d.StagingNeeds, "test")
	}
	d.StagingNeeds = append(d.StagingNeeds, "staging-plan")
	if o.Dockerfile != "" {
		d.Dockerfile = path.Clean(o.Dockerfile)
		d.BuildContext = path.Dir(d.Dockerfile)
		d.StagingNeeds = append(d.StagingNeeds, "build")
	}
	return d, nil
}

// quote makes s one double-quoted YAML scalar: JSON's string syntax is
// YAML's double-quoted style, and a quoted value is never read as a
// boolean or a number by a YAML 1.1 loader.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
