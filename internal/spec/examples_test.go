package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const examplesDir = "../../examples"

// examplePipelines lists every examples/*/pipelines/*.yaml.
func examplePipelines(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ext := filepath.Ext(path)
		if !d.IsDir() && (ext == ".yaml" || ext == ".yml") && filepath.Base(path) != ProjectFile {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no example pipelines found")
	}
	return files
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("pipeline.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("pipeline.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// yamlToJSONValue decodes YAML into the values the validator expects.
func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExamplesParseAndMatchSchema(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	for _, file := range examplePipelines(t) {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			p, err := LoadPipelineFile(file)
			if err != nil {
				t.Fatalf("example does not parse:\n%v", err)
			}
			if p.Runbook == "" || p.Alerts.Route == "" || p.Rollback.OnFirstRunFailure == "" {
				t.Errorf("example lacks runbook, alert route or rollback")
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(yamlToJSONValue(t, data)); err != nil {
				t.Fatalf("example fails the JSON Schema: %v", err)
			}
		})
	}
}

func TestExampleProjectsLoad(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join(examplesDir, "*", ProjectFile))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no example projects: %v", err)
	}
	for _, f := range dirs {
		dir := filepath.Dir(f)
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			proj, ps, err := LoadProject(dir)
			if err != nil {
				t.Fatalf("LoadProject:\n%v", err)
			}
			if proj.File == "" || len(ps) == 0 {
				t.Fatalf("project %+v with %d pipelines", proj, len(ps))
			}
			for _, p := range ps {
				if _, err := os.Stat(filepath.Join(p.ProjectDir(), p.Runbook)); err != nil {
					t.Errorf("runbook: %v", err)
				}
				for _, task := range p.Tasks {
					if task.Kind == KindApproval {
						continue // it runs nothing
					}
					script := strings.Fields(task.Run)[0]
					info, err := os.Stat(filepath.Join(p.WorkDir(&task), script))
					if err != nil || info.Mode()&0o111 == 0 {
						t.Errorf("task %s: %s is not an executable file in the project (%v)", task.ID, script, err)
					}
				}
			}
		})
	}
}

func TestSchemaRejects(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	tests := []struct {
		name, src string
	}{
		{"unknown top-level key", "pipeline: p\nshedule: {cron: x}\ntasks: [{id: a, run: x}]\n"},
		{"unknown task key", "pipeline: p\ntasks: [{id: a, run: x, timout: 5m}]\n"},
		{"missing tasks", "pipeline: p\n"},
		{"task without run", "pipeline: p\ntasks: [{id: a}]\n"},
		{"bad duration", "pipeline: p\ntimeout: 30\ntasks: [{id: a, run: x}]\n"},
		{"bad size", "pipeline: p\ntasks: [{id: a, run: x, resources: {memory: 1MB}}]\n"},
		{"bad catchup", "pipeline: p\nschedule: {cron: x, catchup: sometimes}\ntasks: [{id: a, run: x}]\n"},
		{"secret with extra key", "pipeline: p\ntasks: [{id: a, run: x, env: {A: {secret: s, v: 1}}}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := schema.Validate(yamlToJSONValue(t, []byte(tt.src))); err == nil {
				t.Fatal("schema accepted it")
			}
		})
	}
}
