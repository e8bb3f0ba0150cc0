// Package amtest is test support: it runs a real Alertmanager (Debian's
// prometheus-alertmanager) on a free loopback port for a test. Only tests
// import it.
package amtest

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Bin is where Debian's package installs Alertmanager.
const Bin = "/usr/bin/prometheus-alertmanager"

// Start runs Alertmanager until t ends and returns its base URL. Without
// Alertmanager the test is skipped, or fails under CI=true.
func Start(t *testing.T) string {
	t.Helper()
	bin := Bin
	if _, err := os.Stat(bin); err != nil {
		if p, lerr := exec.LookPath("alertmanager"); lerr == nil {
			bin = p
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("alertmanager not installed (apt-get install prometheus-alertmanager): %v", err)
		} else {
			t.Skipf("alertmanager not installed: %v", err)
		}
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager not ready after 20s: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
