package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
)

// TestAgreesWithPlainGitleaks checks the prefilters against gitleaks run
// the plain way (every rule over the whole file, decoding on): each secret
// plain gitleaks reports, Scanner reports on the same line.
func TestAgreesWithPlainGitleaks(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	files, _ := loadCorpus(t, filepath.Join("testdata", "corpus"))
	root := t.TempDir()
	rel, _ := generateRepo(t, root, 2<<20, 3)
	for _, name := range rel {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	files["mixed/tricky.yaml"] = []byte(trickyText())
	var compared int
	rules := map[string]int{}
	for name, text := range files {
		got := map[int]bool{}
		for _, f := range s.ScanText(name, text) {
			got[f.Line] = true
		}
		d := detect.NewDetector(s.rules.full)
		d.MaxDecodeDepth = maxDecodeDepth
		for _, f := range d.Detect(detect.Fragment{Raw: string(text), FilePath: name, StartLine: 1}) {
			h, ok := fromGitleaks(name, func(l int) int { return l }, f)
			if !ok {
				continue
			}
			compared++
			rules[h.Rule]++
			if !got[h.Line] {
				t.Errorf("%s: plain gitleaks reports %s, Scanner reports nothing on that line", name, h.Finding)
			}
		}
	}
	if compared < 20 {
		t.Errorf("compared %d plain gitleaks findings, want 20 or more for the test to mean something", compared)
	}
	t.Log(fmt.Sprintf("compared %d plain gitleaks findings: %v", compared, rules))
}

// trickyText holds secrets that need decoding or span lines.
func trickyText() string {
	aws := "AKIA" + "QYLPMN5HFIQR7BZK"
	gh := "ghp" + "_" + "R8nQ2vX7kLm4pT9wZ3bY6cJ1hF5dS0aG2eK4"
	b64 := base64.StdEncoding.EncodeToString([]byte("aws_access_key_id = " + aws))
	hexed := hex.EncodeToString([]byte("token: " + gh))
	return "apiVersion: v1\n" +
		"kind: Secret\n" +
		"metadata:\n  name: app\n" +
		"data:\n  password: c3VwZXItc2VjcmV0LXZhbHVlLTEyMw==\n" +
		"---\n" +
		"encoded: " + b64 + "\n" +
		"hexed: " + hexed + "\n" +
		"escaped: " + url.QueryEscape("ghp_"+gh[4:]) + "\n" +
		"service_credential =\n    \"BCD4FG5HJ6KLM7NP8QR9STV0WXZ12345\"\n" +
		"run: |\n  curl -sS https://api.internal/x \\\n    -H \"Authorization: Bearer " + gh + "\"\n" +
		"jwt: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ\n" +
		// generic-api-key's values: with digits, '=', '+' or '/', a value
		// on the line after its key, and ones of letters alone (allowlisted).
		"client_secret: \"q8Zr3LmN7vXp2KwT\"\n" +
		"auth_token = 'Abc.def-ghi_jkl=mnoPQRstu'\n" +
		"{\"apiKey\": \"Zm9vYmFyYmF6cXV4MTIz\"}\n" +
		"access_token => aBcDeFgHiJkLmNoP/Q+R;\n" +
		"export DEPLOY_PASSWORD=\n  \"Tr0ub4dor-and-3-more\"\n" +
		"db_password: var.orders_db_password\n" +
		"ApiToken: OrdersAndBillingToken\n" +
		// ruleNeeds: Vault tokens of both forms, and a Secret manifest
		// with its data before its kind.
		"export VAULT_TOKEN=s." + "Qm7Xr2Lp9Tn4Vb8Kc1Hd6Jf3\n" +
		"vault: hvs." + strings.Repeat("CAESIJx8aZ3kLm2Pq_9Rt-5Vw", 4) + "\n" +
		"---\ndata:\n  token: c2VjcmV0LXRva2VuLXZhbHVlLTk4Nw==\nkind: \"Secret\"\n"
}
