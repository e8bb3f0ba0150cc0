package process

import (
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/executortest"
)

// TestSuite runs what every kind must do, with cgroups where writable and
// without.
func TestSuite(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]Options{"cgroups": {}, "no-cgroups": {DisableCgroups: true}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			executortest.Run(t, Kind, func(t *testing.T) executor.Executor { return newExecutor(t, opts) })
		})
	}
}
