package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/spec"
)

// useDeployedProject makes the gantry.yaml the server's environment was
// deployed with the one alerts are routed by: that of the revision that
// became active there last (a change of routes or channels is a deploy of
// gantry.yaml, gated like any other). An edit of the working tree's
// gantry.yaml changes nothing in the environment until it is deployed;
// the result says so when the two differ. Before anything is active there
// the working tree's is used, so that a route can be test-fired ahead of
// the first deploy: no pipeline runs there to page about yet.
func (s *Server) useDeployedProject(next map[string]*pipeline, res api.ReloadResult) api.ReloadResult {
	var newest *pipeline
	for _, p := range next {
		if p.project == nil && p.revision == "" {
			continue
		}
		if newest == nil || p.since.After(newest.since) || (p.since.Equal(newest.since) && p.revision > newest.revision) {
			newest = p
		}
	}
	if newest == nil {
		proj, err := readProject(s.cfg.ProjectDir)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			return res
		}
		s.setProject(proj, "")
		return res
	}
	s.setProject(newest.project, newest.revision)
	if !sameFile(filepath.Join(s.cfg.ProjectDir, spec.ProjectFile), filepath.Join(newest.dir, spec.ProjectFile)) {
		note := fmt.Sprintf("alerts in %s are routed by the gantry.yaml of revision %s (active there); the working tree's gantry.yaml differs and takes effect in %s only when deployed",
			s.cfg.Env, short(newest.revision), s.cfg.Env)
		res.Notes = append(res.Notes, note)
		s.log.Info("reload: " + note)
	}
	return res
}

// sameFile reports whether two files hold the same bytes (both missing
// counts as the same).
func sameFile(a, b string) bool {
	da, errA := os.ReadFile(a)
	db, errB := os.ReadFile(b)
	if errA != nil || errB != nil {
		return os.IsNotExist(errA) && os.IsNotExist(errB)
	}
	return bytes.Equal(da, db)
}
