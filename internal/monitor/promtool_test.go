package monitor

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gantryhq/gantry/internal/record"
)

// TestPromtoolCheckMetrics scrapes every metric over HTTP, as Prometheus
// would, and has Prometheus's own linter judge names, help and units.
func TestPromtoolCheckMetrics(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found; CI must install it (Debian package prometheus)")
		}
		t.Skip("promtool not found; install the Debian package prometheus")
	}

	reg := prometheus.NewRegistry()
	src := &fakeSource{queue: 4, running: 2, dead: 1,
		last: map[string]map[string]time.Time{"orders": {"prod": t0, "staging": t0, "": t0}}}
	m, err := New(reg, src, "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	populate(m)
	lm, err := RegisterLeadership(reg, fakeLeadership{lease: record.Lease{Holder: "host-1-abc", ExpiresAt: time.Now().Add(time.Hour)}, leading: true})
	if err != nil {
		t.Fatal(err)
	}
	lm.LeaderChanged(true, "host-1-abc")
	lm.LeaseRenewFailed()

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	body := scrape(t, srv.URL)
	for _, name := range []string{
		"gantry_runs_total", "gantry_run_duration_seconds_bucket", "gantry_task_attempts_total",
		"gantry_task_duration_seconds_count", "gantry_task_output", "gantry_scheduler_lag_seconds_sum",
		"gantry_queue_depth", "gantry_running_tasks", "gantry_dead_letters",
		"gantry_last_success_interval_end_timestamp_seconds", "gantry_build_info",
		"gantry_leader", "gantry_leading", "gantry_leader_changes_total", "gantry_lease_renew_failures_total",
	} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("scrape lacks %s", name)
		}
	}

	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "" {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// populate gives every metric at least one series.
func populate(m *Metrics) {
	m.RunFinished(record.Run{Pipeline: "orders", Env: "prod", State: record.RunSucceeded,
		StartedAt: t0, FinishedAt: t0.Add(time.Minute)})
	m.AttemptFinished("orders", "prod", record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
		StartedAt: t0, FinishedAt: t0.Add(time.Second),
		Outputs: []record.Output{{Key: "rows.loaded", Value: "1042"}}})
	m.SchedulerLag("orders", "prod", 250*time.Millisecond)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	// Ask for the text format: promtool reads nothing else.
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d: %v", resp.StatusCode, err)
	}
	return string(b)
}
