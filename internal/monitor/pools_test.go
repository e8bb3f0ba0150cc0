package monitor

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gantryhq/gantry/internal/engine/pool"
)

type poolFunc func() []pool.Usage

func (f poolFunc) PoolUsage() []pool.Usage { return f() }

func TestPoolGaugesFollowTheLimiter(t *testing.T) {
	t.Parallel()
	lim := pool.New(map[string]int{"warehouse": 2, "deploys": 1})
	reg := prometheus.NewRegistry()
	if err := RegisterPools(reg, poolFunc(lim.Usage)); err != nil {
		t.Fatal(err)
	}
	_, r1 := lim.Wait("warehouse")
	_, _ = lim.Wait("warehouse")
	_, _ = lim.Wait("warehouse")
	want := `
# HELP gantry_pool_slots Tasks a pool lets run at once (gantry.yaml pools), in this process.
# TYPE gantry_pool_slots gauge
gantry_pool_slots{pool="deploys"} 1
gantry_pool_slots{pool="warehouse"} 2
# HELP gantry_pool_slots_in_use Slots of a pool held by running task attempts.
# TYPE gantry_pool_slots_in_use gauge
gantry_pool_slots_in_use{pool="deploys"} 0
gantry_pool_slots_in_use{pool="warehouse"} 2
# HELP gantry_pool_tasks_waiting Tasks ready to run that wait for a slot of a pool (state waiting_pool).
# TYPE gantry_pool_tasks_waiting gauge
gantry_pool_tasks_waiting{pool="deploys"} 0
gantry_pool_tasks_waiting{pool="warehouse"} %d
`
	names := []string{"gantry_pool_slots", "gantry_pool_slots_in_use", "gantry_pool_tasks_waiting"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.Replace(want, "%d", "1", 1)), names...); err != nil {
		t.Error(err)
	}
	r1() // the waiting one takes the slot: still 2 in use, none waiting
	if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.Replace(want, "%d", "0", 1)), names...); err != nil {
		t.Error(err)
	}
}
