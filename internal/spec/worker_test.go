package spec

import (
	"reflect"
	"testing"
)

func TestTaskWorkerLabels(t *testing.T) {
	t.Parallel()
	p, err := ParsePipeline("pipelines/p.yaml", []byte("pipeline: p\ntasks:\n  - {id: a, run: 'true', worker: {labels: {gpu: true, zone: eu-1, k8s.io/arch: amd64}}}\n  - {id: b, run: 'true'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"gpu": "true", "zone": "eu-1", "k8s.io/arch": "amd64"}; !reflect.DeepEqual(p.Tasks[0].Worker, want) {
		t.Errorf("labels %v, want %v", p.Tasks[0].Worker, want)
	}
	if p.Tasks[1].Worker != nil {
		t.Errorf("a task without worker: has labels %v", p.Tasks[1].Worker)
	}
}

func TestTaskWorkerErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, task, want string }{
		{"hostile key", `{id: a, run: 'true', worker: {labels: {"a\"b') OR 1=1": x}}}`,
			`pipelines/p.yaml:3:44: tasks[0].worker.labels.a"b') OR 1=1: label "a\"b') OR 1=1": a key is 1 to 63 of A-Z, a-z, 0-9, _ . / -`},
		{"unknown key", "{id: a, run: 'true', worker: {lables: {x: y}}}",
			`pipelines/p.yaml:3:35: tasks[0].worker.lables: unknown key "lables" (did you mean "labels"?)`},
		{"not a mapping", "{id: a, run: 'true', worker: gpu}", `pipelines/p.yaml:3:34: tasks[0].worker: expected a mapping, got "gpu"`},
		{"list value", "{id: a, run: 'true', worker: {labels: {gpu: [1]}}}", `pipelines/p.yaml:3:49: tasks[0].worker.labels.gpu: expected a value, got a list`},
		{"approval", "{id: a, kind: approval, approval: {required: 1}, worker: {labels: {x: y}}}", ""},
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
