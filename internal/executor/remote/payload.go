package remote

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// payload is an attempt as a worker is sent it.
type payload struct {
	Kind    string
	Command string
	// Dir is the working directory relative to the project's folder,
	// which each machine has at a place of its own.
	Dir         string               `json:",omitempty"`
	Env         []string             `json:",omitempty"` // without the secret entries
	Secrets     []executor.SecretEnv `json:",omitempty"`
	Timeout     time.Duration        `json:",omitempty"`
	KillGrace   time.Duration        `json:",omitempty"`
	MemoryLimit int64                `json:",omitempty"`
	MilliCPU    int64                `json:",omitempty"`
	LogLimit    int64                `json:",omitempty"`
	// Log is the attempt's log relative to the log folder: the worker
	// writes it under its own.
	Log       string
	RunID     int64
	AttemptID int64
	Task      string
	StartedAt time.Time
}

// encode makes a's payload: root is the project's folder and logDir the
// log folder on this machine. An attempt outside them, or whose payload
// would hold a secret value, is refused.
func encode(a executor.Attempt, root, logDir string) ([]byte, error) {
	dir, err := under(root, a.Dir, "working directory")
	if err != nil {
		return nil, err
	}
	log, err := under(logDir, a.LogPath, "log")
	if err != nil {
		return nil, err
	}
	secret := make(map[string]bool, len(a.Secrets))
	for _, s := range a.Secrets {
		secret[s.Key] = true
	}
	env := make([]string, 0, len(a.Env))
	for _, kv := range a.Env {
		if k, _, _ := strings.Cut(kv, "="); !secret[k] {
			env = append(env, kv)
		}
	}
	p := payload{
		Kind: a.Kind, Command: a.Command, Dir: dir, Env: env, Secrets: a.Secrets,
		Timeout: a.Timeout, KillGrace: a.KillGrace, MemoryLimit: a.MemoryLimit, MilliCPU: a.MilliCPU,
		LogLimit: a.LogLimit, Log: log, RunID: a.RunID, AttemptID: a.AttemptID, Task: a.Task, StartedAt: a.StartedAt,
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode the attempt for a worker: %w", err)
	}
	// Whatever carried it (a command rendered from a secret, an env entry
	// the references do not name), a value to redact is never written.
	// The free text is looked in, not what Gantry makes (IDs, times,
	// paths), where a short value ("1", "true") would be found by chance.
	for _, v := range a.Redact {
		if v == "" {
			continue
		}
		if strings.Contains(p.Command, v) || slices.ContainsFunc(p.Env, func(kv string) bool {
			k, val, _ := strings.Cut(kv, "=")
			return !gantryMade[k] && strings.Contains(val, v)
		}) {
			return nil, fmt.Errorf("the attempt would be sent to a worker with a secret's value in it (its command or an env entry that is not a secret reference); it is not queued")
		}
	}
	return b, nil
}

// gantryMade are the env entries Gantry makes from IDs, names and times,
// never from a secret.
var gantryMade = map[string]bool{
	"GANTRY_PIPELINE": true, "GANTRY_RUN_ID": true, "GANTRY_TASK": true, "GANTRY_ATTEMPT": true,
	"GANTRY_ATTEMPT_ID": true, "GANTRY_INTERVAL_START": true, "GANTRY_INTERVAL_END": true,
	"GANTRY_ENV": true, "GANTRY_ENV_NAME": true,
}

// under is path relative to root, "" for root itself; a path outside
// root is an error naming what it is.
func under(root, path, what string) (string, error) {
	if path == "" {
		return "", nil
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", fmt.Errorf("the attempt's %s %s is outside %s: a worker cannot find it", what, path, root)
	}
	if rel == "." {
		return "", nil
	}
	return filepath.ToSlash(rel), nil
}

// decode reads a payload, refusing paths that would leave the folders
// they are relative to.
func decode(b []byte) (payload, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("decode the attempt: %w", err)
	}
	for _, rel := range []string{p.Dir, p.Log} {
		if rel != "" && !filepath.IsLocal(filepath.FromSlash(rel)) {
			return p, fmt.Errorf("decode the attempt: path %q leaves its folder", rel)
		}
	}
	if p.Log == "" {
		return p, fmt.Errorf("decode the attempt: no log path")
	}
	if slices.ContainsFunc(p.Secrets, func(s executor.SecretEnv) bool { return s.Key == "" || s.Secret == "" }) {
		return p, fmt.Errorf("decode the attempt: a secret reference without a key or a name")
	}
	return p, nil
}
