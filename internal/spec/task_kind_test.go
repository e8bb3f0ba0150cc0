package spec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTaskKind(t *testing.T) {
	t.Parallel()
	p, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks:\n  - {id: a, run: 'true'}\n  - {id: b, kind: process, run: 'true', workdir: sub}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range p.Tasks {
		if task.Kind != KindProcess {
			t.Errorf("task %s kind %q, want %q", task.ID, task.Kind, KindProcess)
		}
	}
	if pos := p.Positions["tasks[1].kind"]; pos.Line != 4 || pos.Col != 13 {
		t.Errorf("tasks[1].kind at %+v, want 4:13", pos)
	}
}

func TestTaskKindErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, task, want string }{
		{"near miss", "{id: a, kind: proces, run: 'true'}",
			`pipelines/p.yaml:3:19: tasks[0].kind: unknown kind "proces" (did you mean "process"?)`},
		{"unknown", "{id: a, kind: lambda, run: 'true'}",
			`pipelines/p.yaml:3:19: tasks[0].kind: unknown kind "lambda" (kinds: process)`},
		{"empty", "{id: a, kind: '', run: 'true'}", `pipelines/p.yaml:3:19: tasks[0].kind: must not be empty`},
		{"not a string", "{id: a, kind: [process], run: 'true'}", `pipelines/p.yaml:3:19: tasks[0].kind: expected a string, got a list`},
		{"process without run", "{id: a, kind: process}", "pipelines/p.yaml:3:5: tasks[0]: missing `run:` (the shell command to run)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks:\n  - "+tt.task+"\n"))
			if err == nil {
				t.Fatalf("accepted: %+v", p.Tasks)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// An editor offers the kinds the parser accepts, no more and no fewer.
func TestSchemaTaskKinds(t *testing.T) {
	t.Parallel()
	var doc struct {
		Defs struct {
			Task struct {
				Properties struct {
					Kind struct {
						Enum    []string `json:"enum"`
						Default string   `json:"default"`
					} `json:"kind"`
				} `json:"properties"`
			} `json:"task"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(JSONSchema(), &doc); err != nil {
		t.Fatal(err)
	}
	kind := doc.Defs.Task.Properties.Kind
	if !reflect.DeepEqual(kind.Enum, Kinds()) || kind.Default != KindProcess {
		t.Errorf("schema kind enum %v default %q; parser kinds %v default %q", kind.Enum, kind.Default, Kinds(), KindProcess)
	}
	schema := compileSchema(t)
	for _, tt := range []struct {
		task string
		ok   bool
	}{
		{"{id: a, run: 'true'}", true},
		{"{id: a, kind: process, run: 'true'}", true},
		{"{id: a, kind: proces, run: 'true'}", false},
	} {
		err := schema.Validate(yamlToJSONValue(t, []byte("pipeline: p\ntasks:\n  - "+tt.task+"\n")))
		if (err == nil) != tt.ok {
			t.Errorf("%s: schema says %v, want ok=%v", tt.task, err, tt.ok)
		}
	}
}

func TestKindsSorted(t *testing.T) {
	t.Parallel()
	if k := Kinds(); len(k) == 0 || !strings.Contains(strings.Join(k, ","), KindProcess) {
		t.Errorf("Kinds() = %v, want it to hold %q", k, KindProcess)
	}
}
