package secrets

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkScan50MB scans a generated 50 MB repository of pipeline YAML,
// CI files, shell scripts, Dockerfiles, .env files, Go and Python source
// and markdown with ScanFiles, as gantry check would.
func BenchmarkScan50MB(b *testing.B) {
	root := b.TempDir()
	rel, size := generateRepo(b, root, 50<<20, 1)
	s, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	cpu0 := cpuTime(b)
	var n int
	for b.Loop() {
		fs, errs := s.ScanFiles(context.Background(), root, rel)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		n = len(fs)
	}
	// Wall-clock MB/s suffers when other work shares the machine; MB per
	// CPU-second times the cores is what the scan would reach on them alone.
	cpu := (cpuTime(b) - cpu0).Seconds()
	b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu, "MB/s-per-cpu")
	b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu*float64(runtime.NumCPU()), "MB/s-if-idle")
	b.ReportMetric(float64(n), "findings")
}

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// generateRepo writes about size bytes of mixed text files under root,
// the same for the same seed, and returns their paths and total size.
func generateRepo(tb testing.TB, root string, size int64, seed uint64) ([]string, int64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var (
		rel   []string
		total int64
	)
	for i := 0; total < size; i++ {
		kind := fileKinds[rng.IntN(len(fileKinds))]
		name := fmt.Sprintf("svc%03d/%s", i%300, fmt.Sprintf(kind.name, i))
		body := kind.gen(rng)
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
		rel = append(rel, name)
		total += int64(len(body))
	}
	return rel, total
}

type fileKind struct {
	name string
	gen  func(*rand.Rand) string
}

var fileKinds = []fileKind{
	{"pipelines/p%d.yaml", func(r *rand.Rand) string { return repeat(r, 6, 40, pipelineBlock) }},
	{"ci%d/.gitlab-ci.yml", func(r *rand.Rand) string { return repeat(r, 6, 40, gitlabBlock) }},
	{".github/workflows/w%d.yml", func(r *rand.Rand) string { return repeat(r, 6, 40, workflowBlock) }},
	{"scripts/deploy%d.sh", func(r *rand.Rand) string { return repeat(r, 10, 60, shellBlock) }},
	{"docker%d/Dockerfile", func(r *rand.Rand) string { return repeat(r, 3, 20, dockerBlock) }},
	{"env%d/.env", func(r *rand.Rand) string { return repeat(r, 10, 80, envLine) }},
	{"cmd/main%d.go", func(r *rand.Rand) string { return repeat(r, 20, 120, goBlock) }},
	{"tools/tool%d.py", func(r *rand.Rand) string { return repeat(r, 20, 120, pyBlock) }},
	{"docs/page%d.md", func(r *rand.Rand) string { return repeat(r, 20, 120, mdBlock) }},
	{"k8s/deploy%d.yaml", func(r *rand.Rand) string { return repeat(r, 4, 30, k8sBlock) }},
	{"infra/main%d.tf", func(r *rand.Rand) string { return repeat(r, 6, 40, tfBlock) }},
	{"config/app%d.json", func(r *rand.Rand) string { return "[\n" + repeat(r, 10, 80, jsonBlock) + "{}]\n" }},
}

func k8sBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s-%d}
spec:
  template:
    spec:
      containers:
        - name: %s
          image: registry.internal/%s:1.%d
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: %s-db, key: password}}
            - {name: REGION, value: eu-west-%d}
`, w, r.IntN(1000), w, w, r.IntN(30), w, r.IntN(3)) + rareSecret(r, "            ")
}

func tfBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`resource "aws_db_instance" "%s_%d" {
  engine   = "postgres"
  username = "%s"
  password = var.%s_db_password
  tags     = { team = "%s" }
}
`, w, r.IntN(1000), w, w, word(r)) + rareSecret(r, "  ")
}

func jsonBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`  {"name": "%s", "endpoint": "https://%s.internal/%d", "api_key_env": "%s_API_KEY", "retries": %d},
`, w, w, r.IntN(1000), strings.ToUpper(w), r.IntN(5))
}

func repeat(r *rand.Rand, lo, hi int, block func(*rand.Rand) string) string {
	var b strings.Builder
	for range lo + r.IntN(hi-lo) {
		b.WriteString(block(r))
	}
	return b.String()
}

var words = strings.Fields(`build deploy orders billing stage load transform check report queue worker ` +
	`region cache users events metrics ledger invoice export import archive notify retry schedule`)

func word(r *rand.Rand) string { return words[r.IntN(len(words))] }

func alnum(r *rand.Rand, n int) string {
	const set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[r.IntN(len(set))]
	}
	return string(b)
}

// rareSecret returns a fabricated secret line about once in every 200 calls.
func rareSecret(r *rand.Rand, indent string) string {
	if r.IntN(200) != 0 {
		return ""
	}
	switch r.IntN(3) {
	case 0:
		return indent + "DB_PASSWORD: " + alnum(r, 14) + "\n"
	case 1:
		return indent + "url: postgres://app:" + alnum(r, 12) + "@db:5432/app\n"
	default:
		return indent + "AWS_ACCESS_KEY_ID: AKIA" + strings.ToUpper(alnum(r, 16)) + "\n"
	}
}

func pipelineBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`  %s_%d:
    image: registry.internal/%s:%d.%d
    needs: [%s, %s]
    env:
      DB_PASSWORD: ${{ secrets.DB_PASSWORD }}
      API_TOKEN: {secret: %s-token}
      REGION: eu-west-%d
    run: |
      gantry task run %s --retries %d --timeout %dm
      echo "done %s"
`, w, r.IntN(1000), w, r.IntN(9), r.IntN(30), word(r), word(r), w, r.IntN(3), w, r.IntN(5), r.IntN(60), w) + rareSecret(r, "      ")
}

func gitlabBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`%s-%d:
  stage: %s
  image: golang:1.%d
  variables:
    POSTGRES_PASSWORD: $CI_DB_PASSWORD
    GIT_DEPTH: "%d"
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" $CI_REGISTRY
    - go test ./... -run %s
    - curl -sSf -H "Authorization: Bearer $DEPLOY_TOKEN" https://deploy.internal/%s
`, w, r.IntN(1000), word(r), 20+r.IntN(6), r.IntN(50), w, w) + rareSecret(r, "    ")
}

func workflowBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`  %s-%d:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: "1.%d"
      - run: go build ./cmd/%s
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
`, w, r.IntN(1000), 20+r.IntN(6), w) + rareSecret(r, "          ")
}

func shellBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`# step %d: %s
if [ -z "${%s_TOKEN:-}" ]; then
  echo "missing token for %s" >&2
  exit 1
fi
export PGPASSWORD="$DB_PASSWORD"
psql "postgres://app:${DB_PASSWORD}@db/%s" -c "select count(*) from %s"
sshpass -e ssh deploy@host-%d "systemctl restart %s"
`, r.IntN(1000), w, strings.ToUpper(w), w, w, word(r), r.IntN(50), w) + rareSecret(r, "")
}

func dockerBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`FROM golang:1.%d AS build
WORKDIR /src/%s
COPY . .
RUN go build -o /out/%s ./cmd/%s
ARG NPM_TOKEN
ENV APP_ENV=production PORT=%d
`, 20+r.IntN(6), w, w, w, 8000+r.IntN(1000))
}

func envLine(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf("DB_PASSWORD=${VAULT_%s}\n", strings.ToUpper(word(r)))
	case 1:
		return fmt.Sprintf("API_KEY=vault://secret/%s#key\n", word(r))
	case 2:
		return fmt.Sprintf("SESSION_SECRET=changeme\n") + rareSecret(r, "")
	default:
		return fmt.Sprintf("%s_HOST=%s.internal:%d\n", strings.ToUpper(word(r)), word(r), 1000+r.IntN(9000))
	}
}

func goBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`// %sHandler serves %s requests; the token comes from the environment.
func %sHandler(ctx context.Context, cfg Config, token string) error {
	req, err := http.NewRequestWithContext(ctx, "POST", cfg.%sURL, nil)
	if err != nil {
		return fmt.Errorf("%s: %%w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	password := os.Getenv("%s_PASSWORD")
	_ = password
	for i := 0; i < %d; i++ {
		cfg.Retries[i] = time.Duration(i) * time.Second
	}
	return nil
}

`, w, w, w, strings.Title(w), w, strings.ToUpper(w), r.IntN(10))
}

func pyBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`def %s_%d(session, secret_name="%s-db"):
    """Load %s rows; the password is read from the secret store."""
    password = secrets_client.get(secret_name)
    token = os.environ["%s_TOKEN"]
    rows = session.query("select * from %s limit %d")
    return [r for r in rows if r.api_key is not None]

`, w, r.IntN(1000), w, w, strings.ToUpper(w), w, r.IntN(500))
}

func mdBlock(r *rand.Rand) string {
	w := word(r)
	return fmt.Sprintf(`## %s %d

Set the %s token in your pipeline with `+"`API_TOKEN: ${{ secrets.API_TOKEN }}`"+`, never a literal.
Run `+"`gantry check`"+` before deploying %s; it reports secrets such as
`+"`password: <your-password>`"+` left in configuration. See the %s runbook.

`, w, r.IntN(1000), w, w, word(r))
}
