package app

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// StateDir is the folder, under a project, where Gantry keeps its embedded
// store and task logs.
const StateDir = ".gantry"

// DefaultStore returns the embedded store's path for a project folder.
func DefaultStore(projectDir string) string {
	return filepath.Join(projectDir, StateDir, "gantry.db")
}

// LogDir returns where a project's task logs go.
func LogDir(projectDir string) string {
	return filepath.Join(projectDir, StateDir, "logs")
}

// OpenStore opens the store named by url: a postgres:// URL, or a SQLite
// file path (optionally prefixed sqlite://).
func OpenStore(ctx context.Context, url string) (store.Store, error) {
	switch {
	case isPostgres(url):
		s, err := storepg.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
		return s, nil
	default:
		path := strings.TrimPrefix(url, "sqlite://")
		s, err := storesqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		return s, nil
	}
}

// StoreURL picks the store for a project: the flag, else $GANTRY_STORE,
// else gantry.yaml's store:, else the embedded default.
func StoreURL(flag string, projectDir string, p *spec.Project) string {
	switch {
	case flag != "":
		return flag
	case os.Getenv("GANTRY_STORE") != "":
		return os.Getenv("GANTRY_STORE")
	case p != nil && p.Store != "":
		if strings.Contains(p.Store, "://") || filepath.IsAbs(p.Store) {
			return p.Store
		}
		return filepath.Join(projectDir, p.Store)
	default:
		return DefaultStore(projectDir)
	}
}

// LoadProjectFile reads dir/gantry.yaml; a missing file is no error and
// gives nil.
func LoadProjectFile(dir string) (*spec.Project, error) {
	path := filepath.Join(dir, "gantry.yaml")
	data, err := spec.ReadFile(path) // at most spec.MaxFileSize
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return spec.ParseProject(path, data)
}

// Secrets returns a resolver for `{secret: NAME}` references: a file NAME
// in the project's secrets dir, else the environment variable
// <prefix><NAME in upper case>.
func Secrets(projectDir string, p *spec.Project) func(name string) (string, error) {
	prefix, dir := "GANTRY_SECRET_", ""
	if p != nil {
		if p.Secrets.EnvPrefix != "" {
			prefix = p.Secrets.EnvPrefix
		}
		if p.Secrets.Dir != "" {
			dir = p.Secrets.Dir
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(projectDir, dir)
			}
		}
	}
	return func(name string) (string, error) {
		if dir != "" {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err == nil {
				return strings.TrimRight(string(b), "\r\n"), nil
			}
		}
		key := prefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
		if v, ok := os.LookupEnv(key); ok {
			return v, nil
		}
		where := "$" + key
		if dir != "" {
			where = filepath.Join(dir, name) + " or " + where
		}
		return "", fmt.Errorf("not found: set %s", where)
	}
}

// Redact hides the password in a store URL, for logs.
func Redact(url string) string {
	u, err := neturl.Parse(url)
	if err != nil || u.User == nil {
		return url
	}
	if _, ok := u.User.Password(); ok {
		u.User = neturl.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// AdminTokenFile is where, relative to the project folder, `gantry serve`
// keeps an admin API token for the people who can read the project: the
// CLI uses it when given no other token.
const AdminTokenFile = ".gantry/admin-token"

// ReadAdminToken returns the token in the project's AdminTokenFile, or "".
func ReadAdminToken(projectDir string) string {
	data, err := os.ReadFile(filepath.Join(projectDir, AdminTokenFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// WriteAdminToken replaces the project's AdminTokenFile with token,
// readable by its owner only.
func WriteAdminToken(projectDir, token string) error {
	path := filepath.Join(projectDir, AdminTokenFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// TestFires reads when each alert route last had a test-fire every channel
// took, from st, for the readiness gate's alert-test-fire rule. A store
// that cannot be read counts as no test-fire.
func TestFires(ctx context.Context, st store.Store) func(route string) (time.Time, bool) {
	return func(route string) (time.Time, bool) {
		tfs, err := st.ListTestFires(ctx, store.TestFireFilter{Route: route, OnlyOK: true, Limit: 1})
		if err != nil || len(tfs) == 0 {
			return time.Time{}, false
		}
		return tfs[0].At, true
	}
}

// ExistingStore reports whether the store at url holds data already: a
// PostgreSQL URL always may; a SQLite path only when its file exists.
func ExistingStore(url string) bool {
	if isPostgres(url) {
		return true
	}
	_, err := os.Stat(sqlitePath(url))
	return err == nil
}

// EnvSecrets returns what resolves the secrets of an environment with a
// secrets source of its own, for tasks of the project in dir.
func EnvSecrets(dir string) func(spec.Secrets) engine.SecretFunc {
	return func(s spec.Secrets) engine.SecretFunc {
		return Secrets(dir, &spec.Project{Secrets: s})
	}
}
