package app_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/gantryhq/gantry"

// wired names what only package app may import, or "" for anything else:
// a store driver (internal/store/store*, but for the test support
// storetest and storefault), a notifier (a package directly under
// internal/alert, but for the manager, the shared notify helpers and
// routing), or an executor kind (a package directly under
// internal/executor, such as internal/executor/process). The executor
// package itself is the vocabulary of one attempt and anyone may use it.
func wired(pkg string) string {
	rel, ok := strings.CutPrefix(pkg, module+"/internal/")
	if !ok {
		return ""
	}
	dir, name := path.Split(rel)
	switch {
	case dir == "store/" && strings.HasPrefix(name, "store") && name != "storetest" && name != "storefault":
		return "a store driver"
	case dir == "alert/" && !slices.Contains([]string{"manager", "notify", "routing"}, name) && !strings.HasSuffix(name, "test"):
		return "a notifier"
	case dir == "executor/" && !strings.HasSuffix(name, "test"):
		return "an executor kind"
	}
	return ""
}

// importViolations lists, for a package → its (non-test) imports map, every
// import of something wired by a package other than app. A wired package
// may import another (a driver its helper, a kind its shared code).
func importViolations(imports map[string][]string) []string {
	var out []string
	for pkg, imps := range imports {
		if pkg == module+"/internal/app" || strings.HasPrefix(pkg, module+"/internal/app/") || wired(pkg) != "" {
			continue
		}
		for _, imp := range imps {
			if what := wired(imp); what != "" {
				out = append(out, fmt.Sprintf("%s imports %s, %s: only internal/app wires those", pkg, imp, what))
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestImportViolations(t *testing.T) {
	t.Parallel()
	in := func(rel string) string { return module + "/internal/" + rel }
	for _, tc := range []struct {
		name    string
		imports map[string][]string
		want    int
	}{
		{"app may import drivers, notifiers and kinds", map[string][]string{
			in("app"): {in("store/storesqlite"), in("store/storepg"), in("alert/slack"), in("executor/process")}}, 0},
		{"cli may not import a store driver", map[string][]string{in("cli"): {in("store/storesqlite")}}, 1},
		{"a future driver is a driver", map[string][]string{in("bench"): {in("store/storemysql")}}, 1},
		{"the manager may not import a notifier", map[string][]string{in("alert/manager"): {in("alert/webhook"), in("alert/notify")}}, 1},
		{"a future channel kind is a notifier", map[string][]string{in("server"): {in("alert/teams")}}, 1},
		{"the engine may not import the process executor", map[string][]string{in("engine"): {in("executor/process"), in("executor")}}, 1},
		{"a kind may use another kind's code", map[string][]string{in("executor/container"): {in("executor/process")}}, 0},
		{"store test support is no driver", map[string][]string{in("server"): {in("store/storetest"), in("store/storefault"), in("store")}}, 0},
		{"notifiers share notify", map[string][]string{in("alert/slack"): {in("alert/notify")}}, 0},
		{"outside the module nothing is wired", map[string][]string{in("cli"): {"github.com/jackc/pgx/v5"}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := importViolations(tc.imports); len(got) != tc.want {
				t.Errorf("violations %q, want %d", got, tc.want)
			}
		})
	}
}

// TestOnlyAppWires fails when a package other than app (tests aside)
// imports a store driver, a notifier or an executor kind: each of them is
// chosen and configured in one place, so that adding one touches app, the
// spec and its own package.
func TestOnlyAppWires(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the module's imports: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goBin, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			imports[f[0]] = f[1:]
		}
	}
	if len(imports) < 10 || imports[module+"/internal/app"] == nil {
		t.Fatalf("go list listed %d packages, without internal/app's imports: %s", len(imports), out)
	}
	for _, v := range importViolations(imports) {
		t.Error(v)
	}
}
