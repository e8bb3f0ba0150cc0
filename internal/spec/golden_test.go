package spec

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestErrorsGolden parses each testdata/errors/<case>.yaml and compares
// the errors printed with <case>.golden.
func TestErrorsGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePipeline("pipelines/"+name+".yaml", data)
			if err == nil {
				t.Fatalf("ParsePipeline accepted an invalid file: %+v", p)
			}
			if p != nil {
				t.Errorf("ParsePipeline returned a pipeline with errors")
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s (run go test -update)\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
