package cli_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// poolTask counts itself in under flock and appends how many tasks of the
// pool ran at that moment to "seen", then holds its slot until the file
// "go" exists (30s at most) and counts itself out.
const poolTask = `flock lock sh -c 'n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; echo "$n" >> seen'
      i=0; while [ ! -e go ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done
      flock lock sh -c 'echo $(( $(cat count) - 1 )) > count'`

func poolPipeline(name string, tasks int) string {
	var b strings.Builder
	b.WriteString("pipeline: " + name + "\nconcurrency: {parallelism: 4, pool: warehouse}\ntasks:\n")
	for i := 1; i <= tasks; i++ {
		b.WriteString("  - id: t" + strconv.Itoa(i) + "\n    run: |\n      " + poolTask + "\n")
	}
	return b.String()
}

// peakSeen is the most tasks the tasks themselves saw running at once.
func peakSeen(t *testing.T, dir string, want int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "seen"))
	if err != nil {
		t.Fatal(err)
	}
	counts := strings.Fields(string(b))
	if len(counts) != want {
		t.Fatalf("%d task starts recorded, want %d: %q", len(counts), want, b)
	}
	peak := 0
	for _, c := range counts {
		n, _ := strconv.Atoi(c)
		peak = max(peak, n)
	}
	return peak
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// gauge is the value of series (name and labels, as exposed) in a scrape.
func gauge(metrics, series string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(metrics)
	if m == nil {
		return ""
	}
	return m[1]
}

// Two pipelines in one 2-slot pool, triggered on a real server: at most
// two of their six tasks run at once, the others wait as waiting_pool, and
// /metrics shows the pool's slots, those in use and the tasks in line.
func TestPoolAcrossPipelinesOnServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "pools:\n  warehouse: {slots: 2}\n")
	writeFile(t, filepath.Join(dir, "pipelines", "alpha.yaml"), poolPipeline("alpha", 3))
	writeFile(t, filepath.Join(dir, "pipelines", "beta.yaml"), poolPipeline("beta", 3))
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(dir, "go"), nil, 0o644) })
	s := serve(t, dir, nil)
	if got := gauge(scrape(t, s.url), `gantry_pool_slots{pool="warehouse"}`); got != "2" {
		t.Fatalf("gantry_pool_slots{pool=\"warehouse\"} = %q before any run, want 2", got)
	}
	s.must("trigger", "alpha")
	s.must("trigger", "beta")

	// Both slots are taken and each run has its next task in line.
	var metrics string
	waitFor(t, 30*time.Second, "two slots in use and two tasks waiting", func() bool {
		metrics = scrape(t, s.url)
		return gauge(metrics, `gantry_pool_slots_in_use{pool="warehouse"}`) == "2" &&
			gauge(metrics, `gantry_pool_tasks_waiting{pool="warehouse"}`) == "2"
	})
	var shown string
	waitFor(t, 30*time.Second, "gantry runs show to list a task waiting_pool", func() bool {
		shown = s.must("runs", "show", "1").stdout + s.must("runs", "show", "2").stdout
		return strings.Contains(shown, "waiting_pool")
	})
	if n := len(regexp.MustCompile(`(?m)^t\d+\s+running\s`).FindAllString(shown, -1)); n != 2 {
		t.Errorf("runs show lists %d running tasks across both runs, want 2:\n%s", n, shown)
	}

	writeFile(t, filepath.Join(dir, "go"), "")
	waitFor(t, 60*time.Second, "both runs to succeed", func() bool {
		out := s.must("runs").stdout
		return strings.Count(out, "succeeded") == 2
	})
	if peak := peakSeen(t, dir, 6); peak > 2 {
		t.Errorf("%d tasks of the 2-slot pool ran at once across alpha and beta", peak)
	}
	metrics = scrape(t, s.url)
	for series, want := range map[string]string{
		`gantry_pool_slots{pool="warehouse"}`:         "2",
		`gantry_pool_slots_in_use{pool="warehouse"}`:  "0",
		`gantry_pool_tasks_waiting{pool="warehouse"}`: "0",
	} {
		if got := gauge(metrics, series); got != want {
			t.Errorf("%s = %q after the runs, want %s", series, got, want)
		}
	}
}

// gantry run holds its tasks to the pool too, and says when one waits.
func TestPoolForegroundRun(t *testing.T) {
	t.Parallel()
	dir, file := project(t, "pipelines/wide.yaml", poolPipeline("wide", 4))
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "pools:\n  warehouse: {slots: 2}\n")
	// The tasks are let go once two hold their slots (the others waited
	// from the first step on).
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if b, _ := os.ReadFile(filepath.Join(dir, "seen")); len(strings.Fields(string(b))) >= 2 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		_ = os.WriteFile(filepath.Join(dir, "go"), nil, 0o644)
	}()
	r := gantry(t, dir, "run", file)
	wantCode(t, r, 0)
	wantSummary(t, r, map[string]string{"t1": "succeeded", "t2": "succeeded", "t3": "succeeded", "t4": "succeeded"})
	wantContains(t, "gantry run output", r.stdout, "waiting_pool for a slot of pool warehouse")
	if peak := peakSeen(t, dir, 4); peak > 2 {
		t.Errorf("%d tasks of the 2-slot pool ran at once in gantry run", peak)
	}
}
