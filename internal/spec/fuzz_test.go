package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePipeline checks that no input panics and that success always
// means a usable pipeline.
func FuzzParsePipeline(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/errors/*.yaml")
	seeds = append(seeds, examplePipelines(f)...)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("pipeline: p\ntasks: [{id: a, run: 'echo {{ .Params.x }}'}]\nparams: {x: ~}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePipeline("f.yaml", data)
		if err != nil {
			if p != nil {
				t.Fatal("pipeline returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if p == nil || len(p.Tasks) == 0 {
			t.Fatalf("nil error but pipeline %+v", p)
		}
		if p.Schedule != nil && p.Schedule.Location == nil {
			t.Fatal("schedule without a location")
		}
		g, err := p.Graph()
		if err != nil {
			t.Fatalf("valid pipeline has a bad graph: %v", err)
		}
		if _, err := g.Order(); err != nil {
			t.Fatalf("valid pipeline is not a DAG: %v", err)
		}
		var names []string
		for _, prm := range p.Params {
			names = append(names, prm.Name)
		}
		for _, task := range p.Tasks {
			tpl, err := parseTemplate(task.Run, func(any) string { return "" })
			if err != nil {
				t.Fatalf("valid pipeline's run %q does not parse: %v", task.Run, err)
			}
			if _, _, err := Render(task.Run, sampleVars(tpl, names)); err != nil {
				t.Fatalf("valid pipeline's run %q does not render: %v", task.Run, err)
			}
		}
	})
}
