package process

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
)

// secretLines are the parts of testPEM that must never show on their own.
func secretLines() []string {
	var out []string
	for l := range strings.SplitSeq(testPEM, "\n") {
		if len(l) >= minSecretLine {
			out = append(out, l)
		}
	}
	return out
}

// TestRunRedactsEveryShape runs a task that prints its secrets in every
// way a task can: whole, a line of a multi-line one alone, across the
// follower's 64 KiB piece boundary, one byte per write(), and in the keys
// and bad lines of $GANTRY_OUTPUT. No part may reach the log, the follower,
// the outputs or the output errors.
func TestRunRedactsEveryShape(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	const pass = "db-pass-7731"
	a := attempt(t, `
printf 'whole: %s' "$PEM"
echo "one line: $(printf %s "$PEM" | sed -n 3p)"
printf 'crlf: %s\n' "$(printf %s "$PEM" | sed 's/$/\r/')"
head -c 65530 /dev/zero | tr '\0' x; printf '%s\n' "$PASS"
printf 'bytes: %s\n' "$PASS" | dd bs=1 2>/dev/null
echo "k$PASS=1" >> "$GANTRY_OUTPUT"
echo "oops $PASS" >> "$GANTRY_OUTPUT"
echo "pw=$PASS" >> "$GANTRY_OUTPUT"
printf 'pem=%s\n' "$PEM" >> "$GANTRY_OUTPUT"
`)
	a.Env = []string{"PEM=" + testPEM, "PASS=" + pass}
	a.Redact = []string{pass, testPEM}
	var follow syncBuffer
	a.Follow, a.Prefix = &follow, "t | "
	res := e.Run(context.Background(), a)
	wantOutcome(t, res, executor.Succeeded)

	log := readLog(t, a)
	places := map[string]string{
		"log":           log,
		"follower":      follow.String(),
		"outputs":       fmt.Sprint(res.Outputs),
		"output errors": strings.Join(res.OutputErrors, "\n"),
	}
	for place, text := range places {
		for _, s := range append(secretLines(), pass) {
			if strings.Contains(text, s) {
				t.Errorf("the %s shows secret text %q:\n%.400s", place, s, text)
			}
		}
	}
	for _, want := range []string{"whole: <redacted>", "one line: <redacted>\n", "crlf: <redacted>", "x<redacted>\n", "bytes: <redacted>\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%.300s", want, log)
		}
	}
	if !strings.Contains(follow.String(), "t | bytes: <redacted>\n") {
		t.Errorf("follower lacks the redacted line:\n%.300s", follow.String())
	}
	if fmt.Sprint(res.Outputs) != "[{pw <redacted>} {pem <redacted>}]" {
		t.Errorf("outputs = %v, want pw and pem, both <redacted>", res.Outputs)
	}
	errs := strings.Join(res.OutputErrors, "\n")
	for _, want := range []string{`line 1: "k<redacted>=1"`, `line 2: "oops <redacted>"`} {
		if !strings.Contains(errs, want) {
			t.Errorf("output errors lack %q:\n%s", want, errs)
		}
	}
}

// markLine matches the line a capped log says what it cut with.
var markLine = regexp.MustCompile(`\n?… gantry: (.+) of output cut here \(log capped at (.+); head and tail kept\) …\n`)

// TestRunCapsLog: a task printing far more than the cap runs to its end,
// and its log keeps the head and the tail, with a line between them saying
// how much was cut.
func TestRunCapsLog(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	const lines, limit = 200000, 64 << 10
	total := len("first\n") + lines*len("a line of output\n") + len("last\n")
	for _, tc := range []struct {
		name   string
		modify func(*executor.Attempt)
	}{
		{"straight to the log", func(*executor.Attempt) {}},
		{"through the redactor and a follower", func(a *executor.Attempt) {
			a.Redact, a.Follow = []string{"hunter2"}, &syncBuffer{}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := attempt(t, fmt.Sprintf(`echo first; yes 'a line of output' | head -n %d; echo last; echo ok > "$GANTRY_OUTPUT.after"`, lines))
			a.LogLimit = limit
			tc.modify(&a)
			wantOutcome(t, e.Run(context.Background(), a), executor.Succeeded)
			if b, err := os.ReadFile(a.OutputPath + ".after"); err != nil || string(b) != "ok\n" {
				t.Errorf("the task did not run to its end: %q, %v", b, err)
			}
			log := readLog(t, a)
			m := markLine.FindStringSubmatchIndex(log)
			if m == nil {
				t.Fatalf("no truncation line in the log (%d bytes):\n%.200s", len(log), log)
			}
			head, mark, tail := log[:m[0]], log[m[0]:m[1]], log[m[1]:]
			kept := len(head) + len(tail)
			if kept > limit {
				t.Errorf("log keeps %d bytes of output, cap %d", kept, limit)
			}
			if want := humanBytes(int64(total - kept)); log[m[2]:m[3]] != want || log[m[4]:m[5]] != "64 KiB" {
				t.Errorf("truncation line %q, want %s cut at 64 KiB", mark, want)
			}
			if !strings.HasPrefix(head, "first\na line of output\n") || len(head) < limit/4 {
				t.Errorf("head of %d bytes: %.100q", len(head), head)
			}
			if !strings.HasSuffix(tail, "a line of output\nlast\n") || len(tail) < limit/4 {
				t.Errorf("tail of %d bytes ends %q", len(tail), tail[max(0, len(tail)-100):])
			}
			if got := strings.Count(tail, "a line of output\n"); got*len("a line of output\n") != len(tail)-len("last\n") {
				t.Errorf("the tail does not start on a whole line: %.60q", tail)
			}
		})
	}
}
