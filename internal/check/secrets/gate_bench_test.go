package secrets_test

import (
	"context"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/check/secrets"
)

// BenchmarkGate50MB runs the whole readiness gate over a generated 50 MB
// repository of mixed files (pipelines, CI files, scripts, Dockerfiles,
// .env, Go, Python, Markdown, Kubernetes manifests, Terraform, JSON) as
// gantry check does with its repository-wide scope: listing the files
// (git ls-files in a git work tree, a walk otherwise), reading each and
// scanning it. MB/s is wall-clock; MB/s-per-cpu is per CPU-second of the
// process; MB/s-if-idle is that times the cores, what the gate reaches
// when nothing else shares the machine. The floor is 20 MB/s:
//
//	go test -run '^$' -bench Gate50MB -benchtime 3x ./internal/check/secrets
func BenchmarkGate50MB(b *testing.B) {
	for _, mode := range []string{"git", "walk"} {
		b.Run(mode, func(b *testing.B) {
			root := b.TempDir()
			_, size := secrets.GenerateRepo(b, root, 50<<20, 1)
			if mode == "git" {
				for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}} {
					if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
						b.Fatalf("git %v: %v\n%s", args, err, out)
					}
				}
			}
			c, err := check.New(check.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			cpu0 := cpuSeconds(b)
			var files int
			for b.Loop() {
				rep, err := c.Check(context.Background(), root)
				if err != nil {
					b.Fatal(err)
				}
				files = len(rep.Files)
			}
			cpu := cpuSeconds(b) - cpu0
			b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu, "MB/s-per-cpu")
			b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu*float64(runtime.NumCPU()), "MB/s-if-idle")
			b.ReportMetric(float64(files), "files")
		})
	}
}

func cpuSeconds(tb testing.TB) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return (time.Duration(ru.Utime.Nano()) + time.Duration(ru.Stime.Nano())).Seconds()
}
