package process

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
)

// TestLazyFileKeepsHeadAndTail writes outputs of every size around a small
// cap: up to the cap the log is the output itself; past it, the output's
// start and end with one line between them saying how much was cut.
func TestLazyFileKeepsHeadAndTail(t *testing.T) {
	t.Parallel()
	const limit = 1000
	var out strings.Builder
	for i := 0; out.Len() < 6000; i++ {
		fmt.Fprintf(&out, "line %d\n", i)
	}
	all := out.String()
	for _, size := range []int{0, 10, 600, limit, limit + 1, 6000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			in := all[:size]
			path := filepath.Join(t.TempDir(), "task.log")
			l := newLazyFile(path, limit)
			for rest := in; len(rest) > 0; {
				n := min(len(rest), 37)
				if k, err := l.Write([]byte(rest[:n])); k != n || err != nil {
					t.Fatalf("Write = %d, %v", k, err)
				}
				rest = rest[n:]
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if size == 0 {
				if !os.IsNotExist(err) {
					t.Errorf("a silent task made a log: %v", err)
				}
				return
			}
			got := string(b)
			if size <= limit {
				if got != in {
					t.Errorf("log of %d bytes = %q, want the output itself", size, got)
				}
				return
			}
			m := markLine.FindStringIndex(got)
			if m == nil {
				t.Fatalf("no truncation line: %q", got)
			}
			head, tail := got[:m[0]], got[m[1]:]
			if !strings.HasPrefix(in, head) || !strings.HasSuffix(in, tail) || len(head)+len(tail) > limit {
				t.Errorf("kept %d + %d bytes: %q", len(head), len(tail), got)
			}
			want := fmt.Sprintf("gantry: %s of output cut here (log capped at 1000 B;", humanBytes(int64(size-len(head)-len(tail))))
			if !strings.Contains(got[m[0]:m[1]], want) {
				t.Errorf("truncation line %q, want %q", got[m[0]:m[1]], want)
			}
		})
	}
}

// TestLazyFileDefaultCap: an attempt that sets no cap is capped at 100 MiB.
func TestLazyFileDefaultCap(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "task.log")
	l := newLazyFile(path, 0)
	chunk := []byte(strings.Repeat("0123456789abcde\n", 1<<16)) // 1 MiB
	for range 120 {
		_, _ = l.Write(chunk)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > executor.DefaultLogLimit+200 || fi.Size() < executor.DefaultLogLimit {
		t.Errorf("log of 120 MiB of output is %d bytes, want 100 MiB and a line", fi.Size())
	}
}
