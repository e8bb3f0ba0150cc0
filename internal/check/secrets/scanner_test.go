package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Fabricated secrets of gitleaks' shapes, assembled at run time so that no
// provider-shaped token sits in the source.
var (
	fakeAWS    = "AKIA" + "QYLPMN5HFIQR7BZK"
	fakeGitHub = "ghp" + "_" + "R8nQ2vX7kLm4pT9wZ3bY6cJ1hF5dS0aG2eK4"
)

func TestScanTextFindsBothRuleSets(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	text := "first line\n" +
		"aws_access_key_id = " + fakeAWS + "\n" +
		"DB_PASSWORD=hunter2xyz!\n" +
		"token: ${{ secrets.X }}\n" +
		"  url: postgres://app:s3cretPw@db:5432/x\n"
	got := s.ScanText("app.env", []byte(text))
	want := []Finding{
		{File: "app.env", Line: 2, Col: 21, Rule: "gitleaks.aws-access-token", Masked: "AKIA****"},
		{File: "app.env", Line: 3, Col: 13, Rule: "gantry.secret-assignment", Masked: "hu****"},
		{File: "app.env", Line: 5, Col: 23, Rule: "gantry.connection-url-password", Masked: "s3****"},
	}
	assertFindings(t, got, want)
}

func TestFindingsNeverHoldTheSecret(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	secrets := []string{fakeAWS, fakeGitHub, "hunter2xyz!", "Tr0ub4dor-77", "Ssh!Deploy2024", "Jenk1ns-Adm1n",
		"Wg3t-Bearer-T0ken-Value", "abc123def456", "Dk-Regi5try-Pass", "Sql-Srv-Pw88"}
	text := strings.Join([]string{
		"AWS_ACCESS_KEY_ID=" + fakeAWS,
		"gh auth login --with-token " + fakeGitHub,
		"DB_PASSWORD=hunter2xyz!",
		"url: postgres://orders:Tr0ub4dor-77@db/orders",
		"sshpass -p 'Ssh!Deploy2024' ssh web",
		"curl -u admin:Jenk1ns-Adm1n https://ci",
		`wget --header="Authorization: Bearer Wg3t-Bearer-T0ken-Value" https://a`,
		"export API_TOKEN='abc123def456'",
		"docker login -u ci -p Dk-Regi5try-Pass reg",
		"jdbc:sqlserver://db:1433;password=Sql-Srv-Pw88",
	}, "\n")
	got := s.ScanText("x.sh", []byte(text))
	if len(got) < len(secrets) {
		t.Fatalf("got %d findings, want at least %d: %v", len(got), len(secrets), got)
	}
	for _, f := range got {
		formatted := fmt.Sprintf("%v %+v %#v %s", f, f, f, f)
		for _, secret := range secrets {
			if strings.Contains(formatted, secret) {
				t.Errorf("finding shows secret %q: %s", secret, formatted)
			}
		}
		if !strings.HasSuffix(f.Masked, "****") || len(f.Masked) > 8 {
			t.Errorf("Masked = %q, want at most 4 characters and ****", f.Masked)
		}
	}
}

func TestGitleaksFindingsAreFilteredForReferences(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	text := "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n" + // AWS's documentation key
		"SLACK: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n" +
		"export AWS_KEY=" + fakeAWS + " # gitleaks:allow\n" +
		"DB_PASSWORD=hunter2xyz! # gitleaks:allow\n"
	if got := s.ScanText("ci.sh", []byte(text)); len(got) > 0 {
		t.Errorf("got %v, want no findings", got)
	}
}

func TestScanFileSkipsBinary(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	path := filepath.Join(t.TempDir(), "blob.bin")
	content := append([]byte("DB_PASSWORD=hunter2xyz!\n\x00\x01"), []byte("AWS="+fakeAWS)...)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.ScanFile(path, "blob.bin")
	if !errors.Is(err, ErrBinary) {
		t.Errorf("err = %v, want ErrBinary", err)
	}
	if len(got) > 0 {
		t.Errorf("got %v, want no findings in a binary file", got)
	}
}

func TestScanFileSkipsHugeFile(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	path := filepath.Join(t.TempDir(), "big.txt")
	line := "DB_PASSWORD=hunter2xyz!\n"
	if err := os.WriteFile(path, []byte(strings.Repeat(line, MaxFileSize/len(line)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := s.ScanFile(path, "big.txt")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	if len(got) > 0 {
		t.Errorf("got %d findings, want none in a skipped file", len(got))
	}
}

func TestHugeLine(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	// One 3 MB line, longer than a chunk, with secrets at both ends.
	long := "DB_PASSWORD=hunter2xyz! " + strings.Repeat("lorem ipsum ", 256<<10) + "AWS=" + fakeAWS
	text := "intro\n" + long + "\nDB_PASSWORD=after-Huge-Line\n"
	got := s.ScanText("huge.txt", []byte(text))
	want := []Finding{
		{File: "huge.txt", Line: 2, Col: 13, Rule: "gantry.secret-assignment", Masked: "hu****"},
		{File: "huge.txt", Line: 2, Col: len(long) - len(fakeAWS) + 1, Rule: "gitleaks.aws-access-token", Masked: "AKIA****"},
		{File: "huge.txt", Line: 3, Col: 13, Rule: "gantry.secret-assignment", Masked: "af****"},
	}
	assertFindings(t, got, want)
}

func TestChunkBoundaryLineNumbers(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	var b strings.Builder
	var want []Finding
	line := 0
	add := func(text string) {
		b.WriteString(text + "\n")
		line++
	}
	filler := "    run: gantry task run transform --retries 3 --timeout 10m # padding line\n"
	for chunk := range 4 {
		// Fill to just under the next chunk boundary, then put secrets on the
		// lines that straddle it.
		for b.Len() < (chunk+1)*chunkSize-2*len(filler) {
			add(strings.TrimSuffix(filler, "\n"))
		}
		add(fmt.Sprintf("AWS_ACCESS_KEY_ID=%s", fakeAWS))
		want = append(want, Finding{File: "big.yaml", Line: line, Col: 19, Rule: "gitleaks.aws-access-token", Masked: "AKIA****"})
		add(fmt.Sprintf("DB_PASSWORD=chunk-%d-Password", chunk))
		want = append(want, Finding{File: "big.yaml", Line: line, Col: 13, Rule: "gantry.secret-assignment", Masked: "chun****"})
		add("SSH_KEY: |")
		add("  -----BEGIN OPENSSH PRIVATE KEY-----")
		want = append(want, Finding{File: "big.yaml", Line: line, Col: 3, Rule: "gitleaks.private-key", Masked: "----****"})
		for range 8 {
			add("  b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW")
		}
		add("  -----END OPENSSH PRIVATE KEY-----")
	}
	got := s.ScanText("big.yaml", []byte(b.String()))
	assertFindings(t, got, want)
}

func TestCRLF(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	text := "stages: [deploy]\r\n" +
		"variables:\r\n" +
		"  DB_PASSWORD: hunter2xyz!\r\n" +
		"  AWS_ACCESS_KEY_ID: " + fakeAWS + "\r\n" +
		"  URL: postgres://app:Crlf-Pg-Pw@db/x\r\n" +
		"  API_TOKEN: ${{ secrets.API_TOKEN }}\r\n"
	got := s.ScanText(".gitlab-ci.yml", []byte(text))
	want := []Finding{
		{File: ".gitlab-ci.yml", Line: 3, Col: 16, Rule: "gantry.secret-assignment", Masked: "hu****"},
		{File: ".gitlab-ci.yml", Line: 4, Col: 22, Rule: "gitleaks.aws-access-token", Masked: "AKIA****"},
		{File: ".gitlab-ci.yml", Line: 5, Col: 23, Rule: "gantry.connection-url-password", Masked: "Cr****"},
	}
	assertFindings(t, got, want)
}

func TestScanFilesParallel(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	root := t.TempDir()
	var rel []string
	for i := range 60 {
		name := fmt.Sprintf("svc%d/.env", i)
		write(t, root, name, fmt.Sprintf("A=1\nDB_PASSWORD=Pw-%04d-secret\nAWS=%s\n", i, fakeAWS))
		rel = append(rel, name)
	}
	// Files gitleaks' allowlist excludes are not read at all.
	write(t, root, "node_modules/x/.env", "DB_PASSWORD=hunter2xyz!\n")
	write(t, root, "package-lock.json", `{"password": "hunter2xyz!"}`+"\n")
	rel = append(rel, "node_modules/x/.env", "package-lock.json", "missing.yaml")

	var (
		wg      sync.WaitGroup
		results [4][]Finding
		errs    [4][]error
	)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = s.ScanFiles(context.Background(), root, rel) })
	}
	wg.Wait()
	for i := range results {
		if len(results[i]) != 120 {
			t.Errorf("run %d: %d findings, want 120", i, len(results[i]))
		}
		if !slices.IsSortedFunc(results[i], compareFindings) {
			t.Errorf("run %d: findings not sorted", i)
		}
		if !slices.Equal(results[i], results[0]) {
			t.Errorf("run %d differs from run 0", i)
		}
		if len(errs[i]) != 1 || !errors.Is(errs[i][0], os.ErrNotExist) {
			t.Errorf("run %d: errors %v, want one for missing.yaml", i, errs[i])
		}
	}
}

func TestScanFilesCancelled(t *testing.T) {
	t.Parallel()
	s := newScanner(t)
	root := t.TempDir()
	write(t, root, "a.env", "DB_PASSWORD=hunter2xyz!\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, errs := s.ScanFiles(ctx, root, []string{"a.env", "a.env", "a.env"})
	if len(errs) == 0 || !errors.Is(errs[len(errs)-1], context.Canceled) {
		t.Errorf("errors %v, want context.Canceled", errs)
	}
}

func TestNewConcurrently(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s, err := New()
			if err != nil {
				t.Error(err)
				return
			}
			if got := s.ScanText(".env", []byte("DB_PASSWORD=hunter2xyz!\n")); len(got) != 1 {
				t.Errorf("got %v, want one finding", got)
			}
		})
	}
	wg.Wait()
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// assertFindings compares findings without their descriptions.
func assertFindings(t *testing.T, got, want []Finding) {
	t.Helper()
	for i := range got {
		if got[i].Desc == "" {
			t.Errorf("finding %v has no description", got[i])
		}
		got[i].Desc = ""
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
}
