package spec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
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
			`pipelines/p.yaml:3:19: tasks[0].kind: unknown kind "lambda" (kinds: approval, process)`},
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

// An approval task keeps none of the defaults meant for commands: a
// 1-minute default timeout would expire it before anyone looked.
func TestApprovalTask(t *testing.T) {
	t.Parallel()
	src := `pipeline: p
defaults: {retries: {attempts: 3}, timeout: 1m, resources: {memory: 64Mi, cpu: 1}}
tasks:
  - {id: build, run: 'true'}
  - id: approve_prod
    kind: approval
    needs: build
    approval: {approvers: [bob, carol]}
  - {id: wait_long, kind: approval, approval: {required: 2}, timeout: 72h}
  - {id: deploy, needs: approve_prod, environment: prod, run: 'true'}
`
	p, err := ParsePipeline("pipelines/p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := p.Task("approve_prod")
	if a.Kind != KindApproval || a.Approval == nil || a.Approval.Required != 1 ||
		!reflect.DeepEqual(a.Approval.Approvers, []string{"bob", "carol"}) {
		t.Fatalf("approve_prod: %+v", a)
	}
	if a.Retries != nil || a.Timeout != DefaultApprovalTimeout || a.Resources != (Resources{}) {
		t.Errorf("approve_prod took the defaults: retries %+v timeout %v resources %+v", a.Retries, a.Timeout, a.Resources)
	}
	if w := p.Task("wait_long"); w.Timeout != 72*time.Hour || w.Approval.Required != 2 {
		t.Errorf("wait_long: timeout %v required %d", w.Timeout, w.Approval.Required)
	}
	if d := p.Task("deploy"); d.Environment != "prod" || d.Timeout != time.Minute {
		t.Errorf("deploy: environment %q timeout %v", d.Environment, d.Timeout)
	}
}

func TestApprovalTaskErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, task, want string }{
		{"no block", "{id: a, kind: approval}", "pipelines/p.yaml:3:5: tasks[0]: missing `approval:` (who must approve: {required: 1, approvers: [...]})"},
		{"with run", "{id: a, kind: approval, approval: {}, run: 'true'}", "pipelines/p.yaml:3:43: tasks[0].run: `run:` is for tasks of kind process, not approval"},
		{"approval on a process", "{id: a, run: 'true', approval: {}}", "pipelines/p.yaml:3:26: tasks[0].approval: `approval:` is for tasks of kind approval, not process"},
		{"retries", "{id: a, kind: approval, approval: {}, retries: 2}", "pipelines/p.yaml:3:5: tasks[0]: an approval task is asked once: remove `retries:`"},
		{"environment", "{id: a, kind: approval, approval: {}, environment: prod}", "pipelines/p.yaml:3:5: tasks[0]: an approval task acts on no environment: remove `environment:` (it guards the tasks that need it)"},
		{"too few approvers", "{id: a, kind: approval, approval: {required: 2, approvers: [bob]}}", "pipelines/p.yaml:3:39: tasks[0].approval: needs 2 approval(s) but lists only 1 approver(s)"},
		{"bad environment", "{id: a, run: 'true', environment: 'pr od'}", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks:\n  - "+tt.task+"\n"))
			if err == nil {
				t.Fatalf("accepted: %+v", p.Tasks)
			}
			if got := err.Error(); tt.want != "" && got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// A command may name the outputs of the tasks it needs, directly or not,
// and of no other.
func TestOutputsInTemplates(t *testing.T) {
	t.Parallel()
	ok := "pipeline: p\ntasks:\n  - {id: build, run: 'true'}\n  - {id: test, needs: build, run: 'true'}\n  - {id: deploy, needs: test, run: 'echo {{ .Outputs.build.digest }}'}\n"
	if _, err := ParsePipeline("pipelines/p.yaml", []byte(ok)); err != nil {
		t.Fatalf("an upstream's output: %v", err)
	}
	for _, tt := range []struct{ name, run, want string }{
		{"not needed", "echo {{ .Outputs.docs.url }}", `template names the outputs of "docs", which this task does not need`},
		{"near miss", "echo {{ .Outputs.biuld.digest }}", `did you mean "build"?`},
		{"no key", "echo {{ .Outputs.build }}", "write {{ .Outputs.TASK.KEY }}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "pipeline: p\ntasks:\n  - {id: build, run: 'true'}\n  - {id: docs, run: 'true'}\n  - id: deploy\n    needs: build\n    run: '" + tt.run + "'\n"
			_, err := ParsePipeline("pipelines/p.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestEphemeralEnvironmentAndTeardown(t *testing.T) {
	t.Parallel()
	src := `pipeline: p
tasks:
  - {id: deploy, run: 'true', environment: {name: staging, ephemeral: true}}
  - {id: down, needs: deploy, run: 'true', environment: {name: staging, ephemeral: true}, teardown: true}
  - {id: plain, run: 'true', environment: prod}
`
	p, err := ParsePipeline("pipelines/p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Task("deploy"); d.Environment != "staging" || !d.Ephemeral || d.Teardown {
		t.Errorf("deploy: %+v", d)
	}
	if d := p.Task("down"); !d.Teardown || !d.Ephemeral {
		t.Errorf("down: %+v", d)
	}
	if d := p.Task("plain"); d.Environment != "prod" || d.Ephemeral {
		t.Errorf("plain: %+v", d)
	}
	for _, tt := range []struct{ task, want string }{
		{"{id: a, run: 'true', teardown: true}", "a teardown task needs the tasks it cleans up after"},
		{"{id: a, run: 'true', environment: {ephemeral: true}}", "missing `name:`"},
		{"{id: a, run: 'true', environment: {name: staging, throwaway: true}}", `unknown key "throwaway"`},
	} {
		if _, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks:\n  - "+tt.task+"\n")); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.task, err, tt.want)
		}
	}
}
