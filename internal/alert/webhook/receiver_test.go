package webhook_test

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/alert/webhook"
)

// syncBuffer is a bytes.Buffer a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The example receiver in the README, built and run as a user would: it
// takes what a webhook channel sends, and refuses a delivery signed with
// another key, one replayed from ten minutes ago, and a body changed on
// the way.
func TestREADMEReceiverVerifiesDeliveries(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- webhook-receiver -->\n```go\n")
	src, _, closed := strings.Cut(rest, "\n```\n")
	if !ok || !closed {
		t.Fatal("README.md has no ```go block after <!-- webhook-receiver -->")
	}
	if n := strings.Count(src, "\n"); n > 40 {
		t.Errorf("the README's receiver is %d lines; keep it short", n)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module receiver\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "receiver")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the README's receiver does not build: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var stdout syncBuffer
	rcv := exec.Command(bin)
	rcv.Env = append(os.Environ(), "GANTRY_WEBHOOK_KEY="+secret, "ADDR="+addr)
	rcv.Stdout, rcv.Stderr = &stdout, &stdout
	if err := rcv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rcv.Process.Kill(); _ = rcv.Wait() })
	url := "http://" + addr + "/gantry"
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver does not listen on %s: %v\n%s", addr, err, stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	var sleeps notifytest.Sleeps
	if res := newNotifier(t, url, &sleeps, nil).Notify(t.Context(), []alert.Alert{firing()}); !res.OK || res.Status != http.StatusOK {
		t.Fatalf("a signed delivery: %+v\n%s", res, stdout.String())
	}
	// What the receiver printed reaches us through a pipe, after its
	// answer may have.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stdout.String(), `"fingerprint":"fp-orders-load"`); {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not print the alert it took:\n%s", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	forged, err := webhook.New(webhook.Config{Name: "forged", URL: url, Secret: "another-key"})
	if err != nil {
		t.Fatal(err)
	}
	stale := newNotifier(t, url, &sleeps, func() time.Time { return time.Now().Add(-10 * time.Minute) })
	for name, n := range map[string]*webhook.Notifier{"another key": forged, "ten minutes old": stale} {
		if res := n.Notify(t.Context(), []alert.Alert{firing()}); res.OK || res.Status != http.StatusUnauthorized {
			t.Errorf("a delivery signed with %s: %+v, want 401", name, res)
		}
	}

	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body := []byte(`{"version":"1","status":"resolved","alerts":[]}`)
	sig := webhook.Sign([]byte(secret), ts, body)
	for name, b := range map[string][]byte{"as signed": body, "changed": bytes.Replace(body, []byte("resolved"), []byte("firing"), 1)} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(b))
		req.Header.Set(webhook.HeaderTimestamp, ts)
		req.Header.Set(webhook.HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[string]int{"as signed": 200, "changed": 401}[name]; resp.StatusCode != want {
			t.Errorf("a body %s: %d, want %d", name, resp.StatusCode, want)
		}
	}
}
