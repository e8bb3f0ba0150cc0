package check

import (
	"os"
	"path/filepath"
)

// readBaseline reads the baseline file Options.Baseline names: accepted
// legacy findings, each with a reason and an expiry like the ignore file's
// entries, and optionally the line and, for a finding in the history, the
// commit, so that it covers that finding and not a new one beside it:
//
//   - rule: hardcoded-secret
//     path: services/api/settings.py
//     line: 12
//     reason: test key of the retired sandbox account, revoked
//     expires: 2026-12-31
//
// Its path is shown relative to the project folder when it lies in the
// repository, as given otherwise. A baseline that cannot be read is a
// bad-suppression finding.
func (r *run) readBaseline() []ignoreEntry {
	if r.opts.Baseline == "" {
		return nil
	}
	p := r.opts.Baseline
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.dir, p)
	}
	data, err := os.ReadFile(p)
	return r.parseEntries(r.baselineName(p), data, err, baselineKeys)
}

func (r *run) baselineName(p string) string {
	real := p
	if d, err := filepath.EvalSymlinks(p); err == nil {
		real = d
	}
	if rel, err := filepath.Rel(r.repo.root, real); err == nil && filepath.IsLocal(rel) {
		return r.display(filepath.ToSlash(rel))
	}
	return filepath.ToSlash(p)
}
