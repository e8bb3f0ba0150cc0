package process

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
)

// TestLineWriterSecretAcrossPieces: a line longer than the follower's
// 64 KiB piece is cut, and a secret written across the cut, in two
// writes, must not come out in two clear halves.
func TestLineWriterSecretAcrossPieces(t *testing.T) {
	t.Parallel()
	const pass = "db-pass-7731"
	var log, follow bytes.Buffer
	var mu sync.Mutex
	w := newLineWriter(&log, executor.Attempt{Redact: []string{pass}, Follow: &follow, Prefix: "t | "}, &mu)
	pad := strings.Repeat("x", maxLine-6)
	for _, p := range []string{pad + pass[:7], pass[7:] + "\n", "tail " + pass[:3], pass[3:]} {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	for place, got := range map[string]string{"log": log.String(), "follower": follow.String()} {
		for _, part := range []string{pass[:7], pass[7:], pass[3:]} {
			if strings.Contains(got, part) {
				t.Errorf("the %s shows %q of the secret: ...%q", place, part, got[max(0, len(got)-80):])
			}
		}
	}
	if want := pad + "<redacted>\ntail <redacted>"; log.String() != want {
		t.Errorf("log ends %q, want %q", log.String()[len(pad)-4:], want[len(pad)-4:])
	}
}

// TestLineWriterFollowsPromptly: a line reaches the follower as soon as it
// is written, secrets or not; only its end waits for Flush.
func TestLineWriterFollowsPromptly(t *testing.T) {
	t.Parallel()
	var log, follow bytes.Buffer
	var mu sync.Mutex
	w := newLineWriter(&log, executor.Attempt{Redact: []string{"hunter2"}, Follow: &follow, Prefix: "t | "}, &mu)
	_, _ = w.Write([]byte("one\ntwo\nthr"))
	if got := follow.String(); got != "t | one\nt | two\n" {
		t.Errorf("follower = %q before Flush, want the two whole lines", got)
	}
	_, _ = w.Write([]byte("ee hunter2"))
	w.Flush()
	if got := follow.String(); got != "t | one\nt | two\nt | three <redacted>\n" {
		t.Errorf("follower = %q", got)
	}
	if got := log.String(); got != "one\ntwo\nthree <redacted>" {
		t.Errorf("log = %q", got)
	}
}

// BenchmarkLineWriter pushes 100 MiB of log-like output, in the 32 KiB
// writes exec.Cmd makes, through the copier: ns/op is per 100 MiB, and
// MB/s is the copier's throughput.
func BenchmarkLineWriter(b *testing.B) {
	var text []byte
	for i := 0; len(text) < 1<<20; i++ {
		text = fmt.Appendf(text, "2026-11-21T02:00:%02d load: wrote batch %d of rows to warehouse.orders (ok)\n", i%60, i)
	}
	for _, bc := range []struct {
		name    string
		secrets []string
		follow  bool
	}{
		{"no-secrets-follow", nil, true},
		{"one-secret", []string{"hunter2-s3cr3t"}, false},
		{"one-secret-follow", []string{"hunter2-s3cr3t"}, true},
		{"pem-and-two", []string{testPEM, "hunter2-s3cr3t", "tok-42"}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var mu sync.Mutex
			a := executor.Attempt{Redact: bc.secrets, Prefix: "load | "}
			if bc.follow {
				a.Follow = io.Discard
			}
			b.SetBytes(100 << 20)
			for b.Loop() {
				w := newLineWriter(io.Discard, a, &mu)
				for range 100 {
					for p := text; len(p) > 0; p = p[min(len(p), 32<<10):] {
						_, _ = w.Write(p[:min(len(p), 32<<10)])
					}
				}
				w.Flush()
			}
		})
	}
}
