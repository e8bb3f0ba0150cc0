package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/app"
)

// tickProject is a project with a pipeline scheduled every second, which
// catches up every interval it missed, and one failing every second that
// pages through a webhook once (repeat_interval 24h).
func tickProject(t *testing.T, hookURL string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), strings.Replace(alertsProject, "%URL%", hookURL, 1))
	writeFile(t, filepath.Join(dir, "pipelines", "tick.yaml"),
		"pipeline: tick\nschedule: {cron: \"@every 1s\", catchup: all}\ntasks:\n  - id: a\n    retries: {attempts: 3, backoff: constant, initial: 10ms}\n    run: echo tick-ran-here\n")
	writeFile(t, filepath.Join(dir, "pipelines", "broken.yaml"),
		"pipeline: broken\nalerts: {route: oncall}\nschedule: {cron: \"@every 1s\", catchup: none}\ntasks:\n  - id: a\n    run: exit 3\n")
	return dir
}

// brokenPages counts the pages of pipeline broken's failure. A tick
// attempt in flight on a leader killed or paused is lost and retried
// (tick has retries): were it not, its run's failure would page too,
// rightly, but that is not the page the tests count.
func brokenPages(rcv *hookReceiver) int {
	n := 0
	for _, m := range rcv.messages("RunFailed")["firing"] {
		if m.Labels["pipeline"] == "broken" {
			n++
		}
	}
	return n
}

// waitPageRecorded waits until the store records the RunFailed page as
// delivered. Pages are delivered at least once: a leader stopped between
// sending a page and recording it leaves the next leader to send it
// again (the payload's fingerprint lets a receiver drop the repeat). The
// tests stop the leader after that window, to count the pages a stopped
// or resumed leader adds, not that one.
func waitPageRecorded(t *testing.T, store string, rcv *hookReceiver) {
	t.Helper()
	c, err := pgx.Connect(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var fp string
	for _, m := range rcv.messages("RunFailed")["firing"] {
		if m.Labels["pipeline"] == "broken" {
			fp = m.Fingerprint
		}
	}
	waitFor(t, 30*time.Second, "the page recorded as delivered", func() bool {
		var n int
		err := c.QueryRow(t.Context(), `SELECT count(*) FROM alert_delivery_alerts a JOIN alert_deliveries d ON d.id = a.delivery_id
			WHERE d.ok AND a.fingerprint = $1`, fp).Scan(&n)
		return err == nil && n > 0
	})
}

var leaderLine = regexp.MustCompile(`(?m)^leader: (\S+) \((this process|not this process)\)$`)

// leader returns who s's /readyz says leads, and whether s does; "" when
// it does not answer 200 or names nobody.
func (s *served) leader() (holder string, self bool) {
	code, body := s.readyz()
	m := leaderLine.FindStringSubmatch(body)
	if code != 200 || m == nil {
		return "", false
	}
	return m[1], m[2] == "this process"
}

// scheduledIntervals returns the interval starts of pipeline's scheduled
// runs in the store at url, oldest first, and how many of them are final.
func scheduledIntervals(t *testing.T, url, pipeline string) (starts []time.Time, final int) {
	t.Helper()
	c, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	rows, err := c.Query(t.Context(), `SELECT interval_start, state IN ('succeeded', 'failed', 'cancelled')
		FROM runs WHERE pipeline = $1 AND trigger_type = 'schedule' ORDER BY interval_start, id`, pipeline)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s time.Time
		var done bool
		if err := rows.Scan(&s, &done); err != nil {
			t.Fatal(err)
		}
		starts = append(starts, s)
		if done {
			final++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return starts, final
}

// wantEverySecondOnce fails t unless starts are consecutive seconds, each
// once: no interval skipped, none scheduled twice.
func wantEverySecondOnce(t *testing.T, starts []time.Time) {
	t.Helper()
	for i := 1; i < len(starts); i++ {
		if d := starts[i].Sub(starts[i-1]); d != time.Second {
			t.Errorf("scheduled intervals %s then %s (%s apart, want 1s): an interval was skipped or scheduled twice",
				starts[i-1].Format(time.TimeOnly), starts[i].Format(time.TimeOnly), d)
		}
	}
}

// twoServers starts two servers of the same project on one PostgreSQL
// store, the first leading, each in its own folder as on its own host.
func twoServers(t *testing.T, store, hookURL string, env []string) (a, b *served) {
	t.Helper()
	env = append(env, "GANTRY_SECRET_HOOK_KEY=whsec-lease-e2e")
	a = serve(t, tickProject(t, hookURL), env, "--store", store)
	waitFor(t, 30*time.Second, "the first server to lead", func() bool { _, self := a.leader(); return self })
	b = serve(t, tickProject(t, hookURL), env, "--store", store)
	return a, b
}

// Two servers on one PostgreSQL store: exactly one leads, and says so in
// /readyz and /metrics, both are ready; gantry workers lists both, the
// leader marked. Killed with -9, the leader's replica leads within the
// lease's TTL, no scheduled interval is skipped or run twice, and the
// failure that paged once does not page again.
func TestLeaderFailoverOnPostgres(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	rcv := &hookReceiver{t: t, secret: "whsec-lease-e2e"}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	a, b := twoServers(t, store, hs.URL, nil)

	holderA, _ := a.leader()
	holderB, selfB := b.leader()
	if holderB != holderA || selfB {
		t.Fatalf("the second server's /readyz names %q as leader (itself: %v), want the first, %q", holderB, selfB, holderA)
	}
	wantContains(t, "the leader's /metrics", a.metrics(), `gantry_leader{holder="`+holderA+`"} 1`, "gantry_leading{holder=\""+holderA+"\"} 1")
	wantMatch(t, "the replica's /metrics", b.metrics(), `gantry_leading\{holder="[^"]+"\} 0`)
	w := gantryEnv(t, a.dir, nil, "workers", "--store", store)
	wantCode(t, w, 0)
	if n := strings.Count(w.stdout, " active "); n != 2 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(holderA)+`\s.*LEADER$`).MatchString(w.stdout) {
		t.Errorf("gantry workers does not list two active servers with the first leading:\n%s", w.stdout)
	}

	waitFor(t, 30*time.Second, "a few scheduled runs and the one page", func() bool {
		starts, _ := scheduledIntervals(t, store, "tick")
		return len(starts) >= 3 && brokenPages(rcv) >= 1
	})
	waitPageRecorded(t, store, rcv)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, 15*time.Second, "the replica to lead", func() bool { _, self := b.leader(); return self })
	took := time.Since(killed)
	if took > 10*time.Second+time.Second { // the default TTL, and the time to see it
		t.Errorf("the replica led %s after the leader was killed, want within the 10s TTL", took)
	}
	t.Logf("failover: the replica led %s after kill -9 of the leader", took.Round(time.Millisecond))

	waitFor(t, 30*time.Second, "runs scheduled by the new leader", func() bool {
		starts, _ := scheduledIntervals(t, store, "tick")
		return len(starts) > 0 && starts[len(starts)-1].After(killed.Add(3*time.Second))
	})
	starts, _ := scheduledIntervals(t, store, "tick")
	wantEverySecondOnce(t, starts)
	waitFor(t, 30*time.Second, "every scheduled run to end", func() bool {
		starts, final := scheduledIntervals(t, store, "tick")
		return final >= len(starts)-2 // the newest may still run
	})
	if n := brokenPages(rcv); n != 1 {
		t.Errorf("the failing pipeline paged %d times across the failover, want once", n)
	}
	wantContains(t, "the new leader's /metrics", b.metrics(), "gantry_leader_changes_total 1")

	// The first run ran on the killed leader; with its log files gone, as
	// on another machine, the replica serves its log from what the leader
	// shipped to the store.
	if err := os.RemoveAll(app.LogDir(a.dir)); err != nil {
		t.Fatal(err)
	}
	var first int64
	c, err := pgx.Connect(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.QueryRow(t.Context(), `SELECT min(id) FROM runs WHERE pipeline = 'tick'`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	r := b.must("logs", strconv.FormatInt(first, 10), "a")
	wantContains(t, "the killed leader's attempt's log, through the replica", r.stdout, "tick-ran-here")
	r = b.must("workers", "-o", "json")
	var list struct {
		Leader  string `json:"leader"`
		Workers []struct {
			ID string `json:"id"`
		} `json:"workers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || list.Leader == "" || list.Leader == holderA || len(list.Workers) != 2 {
		t.Errorf("gantry workers -o json through the replica: leader %q (the killed one was %q), %d workers, %v\n%s", list.Leader, holderA, len(list.Workers), err, r.stdout)
	}
}

// A leader paused (SIGSTOP) past its lease's TTL, while its replica takes
// over, then resumed: it schedules nothing, pages nothing, and steps down.
func TestPausedLeaderStepsDownOnPostgres(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	rcv := &hookReceiver{t: t, secret: "whsec-lease-e2e"}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	a, b := twoServers(t, store, hs.URL, []string{"GANTRY_LEASE_TTL=2s"})
	waitFor(t, 30*time.Second, "the one page", func() bool { return brokenPages(rcv) >= 1 })
	waitPageRecorded(t, store, rcv)

	proc := a.cmd.Process
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proc.Signal(syscall.SIGCONT) }) // before it is stopped, should the test fail paused
	waitFor(t, 15*time.Second, "the replica to lead", func() bool { _, self := b.leader(); return self })
	before, _ := scheduledIntervals(t, store, "tick")
	waitFor(t, 15*time.Second, "the replica to schedule", func() bool {
		now, _ := scheduledIntervals(t, store, "tick")
		return len(now) >= len(before)+3
	})
	if err := proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the resumed old leader to step down", func() bool {
		return strings.Contains(readFileOr(a.log), `msg="stopped leading"`)
	})
	holder, self := a.leader()
	if self || holder == "" {
		t.Errorf("the resumed old leader's /readyz says leader %q (itself: %v), want the replica", holder, self)
	}
	wantMatch(t, "the old leader's /metrics", a.metrics(), `gantry_leading\{holder="[^"]+"\} 0`)
	// A few more ticks, in which the old leader would have written.
	now, _ := scheduledIntervals(t, store, "tick")
	waitFor(t, 15*time.Second, "more ticks", func() bool {
		later, _ := scheduledIntervals(t, store, "tick")
		return len(later) >= len(now)+3
	})
	starts, _ := scheduledIntervals(t, store, "tick")
	wantEverySecondOnce(t, starts)
	if n := brokenPages(rcv); n != 1 {
		t.Errorf("the failing pipeline paged %d times, want once: %+v\n--- old leader\n%s\n--- replica\n%s", n, rcv.messages("RunFailed")["firing"], tail(a.log, 40), tail(b.log, 40))
	}
	if log := readFileOr(a.log); strings.Contains(log, "level=ERROR") {
		t.Errorf("the resumed old leader logged errors:\n%s", tail(a.log, 30))
	}
}

// metrics returns s's /metrics text.
func (s *served) metrics() string {
	s.t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return string(b)
}
