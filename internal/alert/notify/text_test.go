package notify_test

import (
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

func TestTitle(t *testing.T) {
	t.Parallel()
	labels := map[string]string{"pipeline": "orders_daily", "env": "prod"}
	for _, tc := range []struct {
		name string
		a    alert.Alert
		want string
	}{
		{"firing", alert.Alert{Status: "firing", Labels: labels, Summary: "load failed"}, "[FIRING] orders_daily (prod): load failed"},
		{"resolved", alert.Alert{Status: "resolved", Labels: labels, Summary: "load failed"}, "[RESOLVED] orders_daily (prod): load failed"},
		{"test-fire", alert.Alert{Status: "firing", Test: true, Labels: labels, Summary: "test"}, "[TEST] [FIRING] orders_daily (prod): test"},
		{"newlines folded", alert.Alert{Status: "firing", Summary: "a\r\nBcc: x@y"}, "[FIRING] a Bcc: x@y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.Title(tc.a); got != tc.want {
				t.Errorf("Title = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, s string
		n       int
		want    string
	}{
		{"short stays", "abc", 10, "abc"},
		{"cut with ellipsis", "abcdefghij", 6, "abc…"},
		{"never splits a rune", "ééééé", 7, "éé…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.Truncate(tc.s, tc.n); got != tc.want || len(got) > tc.n {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
			}
		})
	}
}

func TestLastLinesKeepsTheEnd(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 1000 {
		b.WriteString(strings.Repeat("x", 20) + " line " + string(rune('a'+i%26)) + "\n")
	}
	b.WriteString("FATAL: the real error\n")
	got := notify.LastLines(b.String(), 300)
	if len(got) > 300 || !strings.HasSuffix(got, "FATAL: the real error") || !strings.HasPrefix(got, "…\n") {
		t.Errorf("LastLines = %q (%d bytes), want ≤300 bytes ending with the last line", got, len(got))
	}
	for _, l := range strings.Split(strings.TrimPrefix(got, "…\n"), "\n") {
		if len(l) != len("xxxxxxxxxxxxxxxxxxxx line a") && !strings.HasPrefix(l, "FATAL") {
			t.Errorf("LastLines kept a partial line %q", l)
		}
	}
	if got := notify.LastLines("one\ntwo\n", 300); got != "one\ntwo" {
		t.Errorf("LastLines(short) = %q", got)
	}
}
