package spec

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// laughs is a billion-laughs gantry.yaml: each of levels child routes
// lists the one before it width times, so the decoder, walking child
// routes recursively, would visit width^levels routes.
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("project: bomb\nalerts:\n  channels: {c: {type: webhook, url: 'http://x/', secret: s}}\n")
	b.WriteString("  routes:\n    r:\n      channels: [c]\n      routes:\n        - &a0 {match: {k: v}}\n")
	for i := 1; i < levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), width), ",")
		fmt.Fprintf(&b, "        - &a%d {match: {k: v}, routes: [%s]}\n", i, refs)
	}
	return b.String()
}

// sharedTask is a pipeline whose tasks are all one anchored task with an
// env of envKeys variables: tasks × envKeys nodes to walk, from a file of
// tasks + envKeys lines.
func sharedTask(tasks, envKeys int) string {
	var b strings.Builder
	b.WriteString("pipeline: p\ntasks:\n  - &t\n    id: t\n    run: x\n    env:\n")
	for i := range envKeys {
		fmt.Fprintf(&b, "      K%05d: v\n", i)
	}
	b.WriteString(strings.Repeat("  - *t\n", tasks-1))
	return b.String()
}

// sharedEnv is a pipeline of distinct tasks sharing one env through an
// anchor, the way anchors are meant to be used.
func sharedEnv(tasks, envKeys int) string {
	var b strings.Builder
	b.WriteString("pipeline: p\ntasks:\n  - id: t0\n    run: x\n    env: &env\n")
	for i := range envKeys {
		fmt.Fprintf(&b, "      K%03d: v\n", i)
	}
	for i := 1; i < tasks; i++ {
		fmt.Fprintf(&b, "  - {id: t%d, run: x, env: *env}\n", i)
	}
	return b.String()
}

// allocated returns the bytes f allocates. Tests using it do not run in
// parallel, so that no other test's allocations are counted.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAliasBudget decodes alias bombs, which before the budget took
// seconds and gigabytes (a 605-byte gantry.yaml 1.66 GB): each must fail
// with one error at the alias where the budget ran out, having allocated
// little. A small file gets minAliasNodes, which costs a few MiB; a large
// one at most maxAliasNodes, which costs less than decoding a 1 MiB file
// without aliases does (260 MiB allocated, most of it garbage at once).
func TestAliasBudget(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		src      string
		wantErr  string // the whole error; "" when the file is valid
		maxAlloc uint64 // bytes; 32 MiB when 0
	}{
		{
			name: "billion laughs in gantry.yaml, 9 wide and 7 deep",
			file: "gantry.yaml", src: laughs(7, 9),
			wantErr: "gantry.yaml:10:52: alias expansion over budget (*a1 takes it past 50000 nodes reached through aliases, for a document of 126): YAML aliases may not multiply the document",
		},
		{
			name: "billion laughs in gantry.yaml, 10 wide and 9 deep",
			file: "gantry.yaml", src: laughs(9, 10),
			wantErr: "gantry.yaml:9:48: alias expansion over budget (*a0 takes it past 50000 nodes reached through aliases, for a document of 166): YAML aliases may not multiply the document",
		},
		{
			name: "one task aliased 2000 times, with 1000 env variables",
			file: "pipelines/p.yaml", src: sharedTask(2000, 1000),
			wantErr: "pipelines/p.yaml:1031:5: alias expansion over budget (*t takes it past 50000 nodes reached through aliases, for a document of 4012): YAML aliases may not multiply the document",
		},
		{
			name: "one task aliased 20000 times, with 3000 env variables",
			file: "pipelines/p.yaml", src: sharedTask(20_000, 3000),
			wantErr:  "pipelines/p.yaml:3040:5: alias expansion over budget (*t takes it past 200000 nodes reached through aliases, for a document of 26012): YAML aliases may not multiply the document",
			maxAlloc: 128 << 20,
		},
		{
			name: "300 tasks sharing a 60-variable env are fine",
			file: "pipelines/p.yaml", src: sharedEnv(300, 60),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > MaxFileSize {
				t.Fatalf("test file is %d bytes, over MaxFileSize", len(tt.src))
			}
			var err error
			n := allocated(func() {
				if tt.file == ProjectFile {
					_, err = ParseProject(tt.file, []byte(tt.src))
				} else {
					_, err = ParsePipeline(tt.file, []byte(tt.src))
				}
			})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("valid file refused: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
			}
			t.Logf("%d bytes, %.1f MiB allocated", len(tt.src), float64(n)/(1<<20))
			maxAlloc := cmp.Or(tt.maxAlloc, 32<<20)
			if n > maxAlloc {
				t.Errorf("decoding %d bytes allocated %.1f MiB, want at most %d MiB", len(tt.src), float64(n)/(1<<20), maxAlloc>>20)
			}
		})
	}
}

// TestAliasBudgetPerFile checks that budgets are not shared: a project
// whose files each use anchors within their own budget loads.
func TestAliasBudgetPerFile(t *testing.T) {
	t.Parallel()
	files := map[string]string{"gantry.yaml": "project: p\n"}
	for i := range 5 {
		files[fmt.Sprintf("pipelines/p%d.yaml", i)] = strings.Replace(sharedEnv(300, 60), "pipeline: p", fmt.Sprintf("pipeline: p%d", i), 1)
	}
	if _, ps, err := LoadProject(writeTree(t, files)); err != nil || len(ps) != 5 {
		t.Fatalf("LoadProject: %d pipelines, %v", len(ps), err)
	}
}

// TestFileSizeLimit checks that every way in refuses a file over
// MaxFileSize, naming it and its size, and that reading stops there.
func TestFileSizeLimit(t *testing.T) {
	t.Parallel()
	big := "pipeline: p\ntasks: [{id: t, run: x}]\n" + strings.Repeat("# padding\n", 2<<20/10)
	bigProject := "project: p\n" + strings.Repeat("# padding\n", 2<<20/10)
	atLimit := "pipeline: p\ntasks: [{id: t, run: x}]\n"
	atLimit += strings.Repeat("#", MaxFileSize-len(atLimit)-1) + "\n"

	t.Run("ParsePipeline on bytes, as from a deploy bundle", func(t *testing.T) {
		t.Parallel()
		_, err := ParsePipeline("pipelines/x.yaml", []byte(big))
		want := "pipelines/x.yaml: file is 2.0 MiB, over the 1 MiB limit for pipeline files"
		if err == nil || err.Error() != want {
			t.Fatalf("error = %v, want %s", err, want)
		}
	})
	t.Run("one byte over", func(t *testing.T) {
		t.Parallel()
		_, err := ParsePipeline("pipelines/x.yaml", []byte(atLimit+"\n"))
		want := "pipelines/x.yaml: file is 1048577 bytes, over the 1 MiB limit for pipeline files"
		if err == nil || err.Error() != want {
			t.Fatalf("error = %v, want %s", err, want)
		}
	})
	t.Run("a file of exactly the limit is read", func(t *testing.T) {
		t.Parallel()
		dir := writeTree(t, map[string]string{"pipelines/p.yaml": atLimit})
		if _, err := LoadPipelineFile(filepath.Join(dir, "pipelines", "p.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ParseProject on bytes", func(t *testing.T) {
		t.Parallel()
		_, err := ParseProject("gantry.yaml", []byte(bigProject))
		want := "gantry.yaml: file is 2.0 MiB, over the 1 MiB limit for gantry.yaml"
		if err == nil || err.Error() != want {
			t.Fatalf("error = %v, want %s", err, want)
		}
	})
	t.Run("LoadProject and Load", func(t *testing.T) {
		t.Parallel()
		dir := writeTree(t, map[string]string{
			"gantry.yaml":        bigProject,
			"pipelines/big.yaml": big,
			"pipelines/ok.yaml":  "pipeline: ok\ntasks: [{id: t, run: x}]\n",
		})
		want := filepath.Join(dir, "gantry.yaml") + ": file is 2.0 MiB, over the 1 MiB limit for gantry.yaml\n" +
			filepath.Join(dir, "pipelines", "big.yaml") + ": file is 2.0 MiB, over the 1 MiB limit for pipeline files"
		_, ps, err := LoadProject(dir)
		if err == nil || err.Error() != want {
			t.Fatalf("LoadProject error = %v\nwant %s", err, want)
		}
		if len(ps) != 1 {
			t.Errorf("LoadProject returned %d pipelines, want the 1 that parsed", len(ps))
		}
		if _, _, err := Load(dir); err == nil || err.Error() != want {
			t.Fatalf("Load error = %v\nwant %s", err, want)
		}
	})
	t.Run("a stream longer than its stat says", func(t *testing.T) {
		t.Parallel()
		fifo := filepath.Join(t.TempDir(), "p.yaml")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		wrote := make(chan error, 1)
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				wrote <- err
				return
			}
			_, err = f.WriteString(big)
			if errors.Is(err, syscall.EPIPE) {
				err = nil // the reader stopped at the limit, as it should
			}
			wrote <- errors.Join(err, f.Close())
		}()
		_, err := ReadFile(fifo)
		want := fifo + ": file is larger than the 1 MiB limit for pipeline files"
		if err == nil || err.Error() != want {
			t.Errorf("ReadFile error = %v, want %s", err, want)
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
	})
}
