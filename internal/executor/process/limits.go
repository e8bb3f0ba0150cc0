package process

import (
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/internal/executor"
)

// limitNote is the one line for people that LimitSupport.Note holds.
func limitNote(s executor.LimitSupport) string {
	switch {
	case s.Memory && s.CPU:
		return ""
	case s.Memory:
		return "cpu limits not enforced: no writable cgroup cpu controller"
	case s.CPU:
		return "memory enforced by polling RSS: no writable cgroup memory controller"
	default:
		return "cpu limits not enforced: no writable cgroup cpu controller; memory enforced by polling RSS"
	}
}

// formatBytes renders n in IEC units the way limits are written in specs:
// "64Mi", "63.9Mi", "512Ki", "900B".
func formatBytes(n int64) string {
	units := []string{"Ki", "Mi", "Gi", "Ti"}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	v, u := float64(n), ""
	for _, unit := range units {
		if v < 1024 {
			break
		}
		v, u = v/1024, unit
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d%s", int64(v), u)
	}
	return fmt.Sprintf("%.1f%s", v, u)
}
