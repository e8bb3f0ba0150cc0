package process

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// testPEM is a multi-line secret as a secret store hands it out.
const testPEM = "-----BEGIN PRIVATE KEY-----\n" +
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n" +
	"MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n" +
	"NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n" +
	"==\n" +
	"-----END PRIVATE KEY-----\n"

func TestRedactShapes(t *testing.T) {
	t.Parallel()
	line2 := strings.Split(testPEM, "\n")[2]
	crlf := strings.ReplaceAll(testPEM, "\n", "\r\n")
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"plain", []string{"hunter2"}, "pw hunter2 ok", "pw <redacted> ok"},
		{"empty secret ignored", []string{""}, "nothing", "nothing"},
		{"two in a row", []string{"ab12"}, "ab12ab12", "<redacted><redacted>"},
		{"overlapping secrets are one", []string{"abcdef", "defghi"}, "xabcdefghiy", "x<redacted>y"},
		{"nested", []string{"tok-42", "42"}, "a tok-42 b 42", "a <redacted> b <redacted>"},
		{"a longer secret over a shorter", []string{"bc", "abcde"}, "abcde abcd", "<redacted> a<redacted>d"},
		{"pem whole", []string{testPEM}, "key:\n" + testPEM + "done\n", "key:\n<redacted>done\n"},
		{"pem without final newline", []string{testPEM}, "k=" + strings.TrimSuffix(testPEM, "\n") + ";", "k=<redacted>;"},
		{"pem with crlf", []string{testPEM}, "k=" + crlf + ".", "k=<redacted>."},
		{"crlf secret printed with lf", []string{crlf}, "k=" + testPEM + ".", "k=<redacted>."},
		{"one line alone", []string{testPEM}, "line: " + line2 + "!\n", "line: <redacted>!\n"},
		{"indented line printed bare", []string{strings.ReplaceAll(testPEM, "\nM", "\n  M")}, line2 + "\n", "<redacted>\n"},
		{"short lines are not secrets alone", []string{testPEM}, "a == b\n", "a == b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(redactBytes(tt.secrets, []byte(tt.in))); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRedactAcrossWrites splits a stream at every byte and at random
// places: what comes out must not depend on how the task's writes fell.
func TestRedactAcrossWrites(t *testing.T) {
	t.Parallel()
	secrets := []string{"hunter2", testPEM, "s3cr3t-s3cr3t"}
	text := "a hunter2 b\n" + testPEM + "c s3cr3t-s3cr3t3cr3t hunte hunter2hunter2 d " +
		strings.Split(testPEM, "\n")[3] + " e\n"
	want := string(redactBytes(secrets, []byte(text)))
	if strings.Contains(want, "hunter2") || strings.Contains(want, "MzEf") {
		t.Fatalf("one-shot redaction leaks: %q", want)
	}
	for i := range len(text) + 1 {
		r := newRedactor(secrets)
		out := r.write(nil, []byte(text[:i]))
		out = r.flush(r.write(out, []byte(text[i:])))
		if string(out) != want {
			t.Fatalf("split at %d: %q, want %q", i, out, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		r := newRedactor(secrets)
		var out []byte
		for rest := text; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(40))
			out = r.write(out, []byte(rest[:n]))
			rest = rest[n:]
		}
		if out = r.flush(out); string(out) != want {
			t.Fatalf("random writes: %q, want %q", out, want)
		}
	}
}

// TestRedactMatchesReference compares the automaton with a plain search
// over random texts made of secret fragments.
func TestRedactMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 4000 {
		// Short secrets over three letters meet often; long ones over two,
		// with texts made of their pieces, reach the deep states.
		alphabet, maxLen := "abc\n", 6
		if i%2 == 1 {
			alphabet, maxLen = "ab\n", 3*denseDepth
		}
		var secrets []string
		for range 1 + rng.IntN(3) {
			secrets = append(secrets, randString(rng, alphabet, 1+rng.IntN(maxLen)))
		}
		var tb strings.Builder
		for tb.Len() < 80 {
			if sec := secrets[rng.IntN(len(secrets))]; rng.IntN(2) == 0 {
				tb.WriteString(sec[rng.IntN(len(sec)):])
			} else {
				tb.WriteString(randString(rng, alphabet, rng.IntN(4)))
			}
		}
		text := tb.String()
		want := referenceRedact(secretPatterns(secrets), text)
		if got := string(redactBytes(secrets, []byte(text))); got != want {
			t.Fatalf("secrets %q, text %q: got %q, want %q", secrets, text, got, want)
		}
		r := newRedactor(secrets)
		var got []byte
		for j := range len(text) {
			got = r.write(got, []byte(text[j:j+1]))
		}
		if got = r.flush(got); string(got) != want {
			t.Fatalf("secrets %q, text %q byte by byte: got %q, want %q", secrets, text, got, want)
		}
	}
}

func randString(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// referenceRedact replaces each run of overlapping occurrences of pats.
func referenceRedact(pats []string, text string) string {
	var spans []span
	for _, p := range pats {
		for i := 0; i+len(p) <= len(text); i++ {
			if text[i:i+len(p)] == p {
				spans = append(spans, span{int64(i), int64(i + len(p))})
			}
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.from - b.from) })
	var b strings.Builder
	cur := int64(0)
	for i := 0; i < len(spans); {
		sp := spans[i]
		for i++; i < len(spans) && spans[i].from < sp.to; i++ {
			sp.to = max(sp.to, spans[i].to)
		}
		b.WriteString(text[cur:sp.from])
		b.WriteString(redacted)
		cur = sp.to
	}
	b.WriteString(text[cur:])
	return b.String()
}

// TestRedactReleasesPromptly: output that cannot be the start of a secret
// is passed on at once, not held until the task ends.
func TestRedactReleasesPromptly(t *testing.T) {
	t.Parallel()
	r := newRedactor([]string{"hunter2"})
	if got := string(r.write(nil, []byte("progress 50%\n"))); got != "progress 50%\n" {
		t.Errorf("released %q before the end, want the whole line", got)
	}
	if got := string(r.write(nil, []byte("pw hunt"))); got != "pw " {
		t.Errorf("released %q, want only what cannot start the secret", got)
	}
	if got := string(r.flush(r.write(nil, []byte("er2!")))); got != "<redacted>!" {
		t.Errorf("then %q", got)
	}
}

// TestRedactBigSecretStaysSmall: a large multi-line secret (a certificate
// bundle) must not cost a dense table row per byte, and is still found.
func TestRedactBigSecretStaysSmall(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	for b.Len() < 64<<10 {
		b.WriteString(randString(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 64) + "\n")
	}
	big := b.String()
	r := newRedactor([]string{big})
	if size := 4 * len(r.next); size > 2<<20 {
		t.Errorf("a 64 KiB secret takes a %d KiB table", size>>10)
	}
	line := strings.Split(big, "\n")[500]
	got := string(r.flush(r.write(nil, []byte("a "+big+" b "+line+" c"))))
	if got != "a <redacted> b <redacted> c" {
		t.Errorf("got %.100q", got)
	}
}
