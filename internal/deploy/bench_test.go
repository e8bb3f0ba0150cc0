package deploy_test

import (
	"fmt"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
)

// BenchmarkDeployToStaging is what a deploy costs Gantry before the
// staging run: the readiness gate over the bundle (secret scan included),
// the diff against the active revision, and the revision, deployment and
// audit writes on a durable SQLite store. Each iteration deploys new
// content; the staging run itself is not started (no Starter).
func BenchmarkDeployToStaging(b *testing.B) {
	dir := project(b)
	base := collect(b, dir, "orders")
	e := newEnv(b)
	svc := deploy.New(deploy.Options{Store: e.st})
	i := 0
	for b.Loop() {
		bd := *base
		bd.Files = map[string][]byte{}
		for k, v := range base.Files {
			bd.Files[k] = v
		}
		bd.Files["scripts/load.sh"] = append(append([]byte{}, base.Files["scripts/load.sh"]...), fmt.Sprintf("echo %d\n", i)...)
		bd.Hash = deploy.Hash(bd.Files)
		i++
		if _, err := svc.Deploy(b.Context(), "ann", &bd, "staging", ""); err != nil {
			b.Fatal(err)
		}
	}
}
