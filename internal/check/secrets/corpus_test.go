package secrets

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// labelRe matches the label at the end of a corpus line.
var labelRe = regexp.MustCompile(`\s*# want: (secret|none)(?:[ \t]+(\S+))?[ \t]*$`)

// fakeRe matches a placeholder for a generated fake secret.
var fakeRe = regexp.MustCompile(`\{\{fake:([a-z-]+)\}\}`)

// A labelledLine is one line of the expanded corpus.
type labelledLine struct {
	file     string
	line     int
	labelled bool
	secret   bool
	rule     string // expected rule, when the label names one
}

// TestCorpus scans the labelled corpus in testdata/corpus and measures, per
// line, recall (secret lines reported) and precision (reported lines that
// hold a secret). Both must reach 0.95.
func TestCorpus(t *testing.T) {
	s := newScanner(t)
	files, lines := loadCorpus(t, filepath.Join("testdata", "corpus"))
	want := map[string]labelledLine{}
	var nSecret, nNone int
	for _, l := range lines {
		want[fmt.Sprintf("%s:%d", l.file, l.line)] = l
		switch {
		case l.labelled && l.secret:
			nSecret++
		case l.labelled:
			nNone++
		}
	}
	if nSecret < 40 || nNone < 40 {
		t.Fatalf("corpus has %d secret and %d benign labelled lines, want 40 of each", nSecret, nNone)
	}

	reported := map[string][]Finding{}
	for name, text := range files {
		for _, f := range s.ScanText(name, text) {
			key := fmt.Sprintf("%s:%d", f.File, f.Line)
			reported[key] = append(reported[key], f)
		}
	}
	var tp, fp, fn int
	labelled := map[string]int{} // secret lines by the rules their labels name
	for key, l := range want {
		for _, r := range strings.Split(l.rule, "|") {
			labelled[r]++
		}
		got := reported[key]
		switch {
		case l.secret && len(got) > 0:
			tp++
			if l.rule != "" && !hasRule(got, strings.Split(l.rule, "|")) {
				t.Errorf("%s: reported by %v, want rule %s", key, got, l.rule)
			}
		case l.secret:
			fn++
			t.Errorf("%s: secret not reported (%s)", key, l.rule)
		case len(got) > 0:
			fp++
			t.Errorf("%s: false positive: %v", key, got)
		}
	}
	recall := float64(tp) / float64(tp+fn)
	precision := float64(tp) / float64(max(tp+fp, 1))
	msg := fmt.Sprintf("corpus: %d secret lines, %d benign lines: recall %.3f (%d/%d), precision %.3f (%d/%d)",
		nSecret, nNone, recall, tp, tp+fn, precision, tp, tp+fp)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
	if recall < 0.95 || precision < 0.95 {
		t.Errorf("recall %.3f, precision %.3f: want both >= 0.95", recall, precision)
	}
	for _, r := range gantryRules {
		if n := labelled["gantry."+r.id]; n < 2 {
			t.Errorf("corpus has %d lines for gantry.%s, want 2 or more", n, r.id)
		}
	}
	for _, r := range []string{"aws-access-token", "github-pat", "slack-webhook-url", "slack-bot-token",
		"private-key", "stripe-access-token", "generic-api-key"} {
		if labelled["gitleaks."+r] == 0 {
			t.Errorf("corpus has no line for gitleaks.%s", r)
		}
	}
}

func hasRule(fs []Finding, rules []string) bool {
	for _, f := range fs {
		if slices.Contains(rules, f.Rule) {
			return true
		}
	}
	return false
}

// loadCorpus reads every corpus file but README.md, expands the fake
// secrets and cuts off the labels. It returns the texts to scan, by name
// relative to dir, and every line with its label.
func loadCorpus(t *testing.T, dir string) (map[string][]byte, []labelledLine) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	files := map[string][]byte{}
	var lines []labelledLine
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "README.md" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		name := filepath.ToSlash(rel)
		var out []string
		for _, src := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
			l := labelledLine{file: name, line: len(out) + 1}
			if m := labelRe.FindStringSubmatch(src); m != nil {
				l.labelled, l.secret, l.rule = true, m[1] == "secret", m[2]
				src = src[:len(src)-len(m[0])]
			}
			expanded := strings.Split(expandFakes(rng, src), "\n")
			lines = append(lines, l)
			for i := 1; i < len(expanded); i++ {
				lines = append(lines, labelledLine{file: name, line: len(out) + 1 + i})
			}
			out = append(out, expanded...)
		}
		files[name] = []byte(strings.Join(out, "\n") + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, lines
}

// expandFakes replaces {{fake:KIND}} with a generated value of that kind's
// shape. A pem block keeps the indentation of the line it stands on.
func expandFakes(rng *rand.Rand, line string) string {
	return fakeRe.ReplaceAllStringFunc(line, func(m string) string {
		kind := fakeRe.FindStringSubmatch(m)[1]
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		return fakeSecret(rng, kind, indent)
	})
}

func fakeSecret(rng *rand.Rand, kind, indent string) string {
	const (
		upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		lower  = "abcdefghijklmnopqrstuvwxyz"
		digits = "0123456789"
	)
	pick := func(set string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = set[rng.IntN(len(set))]
		}
		return string(b)
	}
	alnum := upper + lower + digits
	switch kind {
	case "aws":
		return "AKIA" + pick(upper+"234567", 16)
	case "github":
		return "ghp" + "_" + pick(alnum, 36)
	case "slack-bot":
		return "xoxb" + "-" + pick(digits, 12) + "-" + pick(digits, 13) + "-" + pick(alnum, 24)
	case "slack-webhook":
		return "https://hooks.slack.com/services/T" + pick(upper+digits, 10) + "/B" + pick(upper+digits, 10) + "/" + pick(alnum, 24)
	case "stripe":
		return "sk" + "_live_" + pick(alnum, 24)
	case "generic":
		// No vowels: generic-api-key drops values that hold a stop word.
		return pick("BCDFGHJKLMNPQRSTVWXZ"+digits, 32)
	case "pem":
		body := make([]byte, 256)
		for i := range body {
			body[i] = byte(rng.IntN(256))
		}
		enc := base64.StdEncoding.EncodeToString(body)
		var b strings.Builder
		b.WriteString("-----BEGIN RSA PRIVATE KEY-----")
		for len(enc) > 0 {
			n := min(64, len(enc))
			b.WriteString("\n" + indent + enc[:n])
			enc = enc[n:]
		}
		b.WriteString("\n" + indent + "-----END RSA PRIVATE KEY-----")
		return b.String()
	}
	panic("unknown fake secret kind " + kind)
}

func newScanner(t testing.TB) *Scanner {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
