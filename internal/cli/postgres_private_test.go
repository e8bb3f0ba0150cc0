package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// privatePostgres is a PostgreSQL cluster of the test's own, which it may
// stop and restart without disturbing the shared test database.
type privatePostgres struct {
	t    *testing.T
	bin  string
	data string
	port int
	URL  string
}

// startPrivatePostgres initialises and starts a throwaway cluster from
// Debian's PostgreSQL binaries. It is skipped when they are missing, except
// in CI, where it fails.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Strings(bins)
	if len(bins) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are missing; CI installs them")
		}
		t.Skip("PostgreSQL's server binaries are not installed")
	}
	bin := filepath.Dir(bins[len(bins)-1])
	// A folder the postgres user can reach (t.TempDir's parents are
	// private to root).
	root, err := os.MkdirTemp("/tmp", "gantry-pg-private-")
	if err != nil {
		t.Fatal(err)
	}
	pg := &privatePostgres{t: t, bin: bin, data: filepath.Join(root, "data")}
	t.Cleanup(func() {
		pg.ctl("stop", "-m", "immediate")
		os.RemoveAll(root)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	port, _ := strconv.Atoi(strings.TrimPrefix(freeAddr(t), "127.0.0.1:"))
	pg.port = port
	pg.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	pg.run(filepath.Join(bin, "initdb"), "-D", pg.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
	pg.Start()
	return pg
}

func (pg *privatePostgres) run(name string, args ...string) string {
	pg.t.Helper()
	cmd := exec.Command(name, args...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		pg.t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (pg *privatePostgres) ctl(args ...string) {
	cmd := exec.Command(filepath.Join(pg.bin, "pg_ctl"), append([]string{"-D", pg.data}, args...)...)
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data}, args...)...)
	}
	_ = cmd.Run()
}

// Start starts the cluster and waits until it accepts connections.
func (pg *privatePostgres) Start() {
	pg.t.Helper()
	pg.run(filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data, "-l", filepath.Join(filepath.Dir(pg.data), "log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, filepath.Dir(pg.data)), "start")
}

// Stop stops it as an operator would in a hurry: sessions are cut.
func (pg *privatePostgres) Stop() {
	pg.t.Helper()
	pg.run(filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data, "-w", "-t", "60", "-m", "fast", "stop")
}

// Restart is pg_ctl restart -m fast.
func (pg *privatePostgres) Restart() {
	pg.t.Helper()
	pg.run(filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data, "-l", filepath.Join(filepath.Dir(pg.data), "log"), "-w", "-t", "60", "-m", "fast",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, filepath.Dir(pg.data)), "restart")
}

// waitTime is how long a test gives a server to get over an outage.
const waitTime = 2 * time.Minute
