package monitor

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/gantryhq/gantry/internal/record"
)

// MaxOutputKeys is how many distinct output keys one task of one pipeline
// may export; later new keys are dropped.
const MaxOutputKeys = 32

var (
	outputKeyRE       = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	outputKeyReplacer = strings.NewReplacer(".", "_", "-", "_")
)

// outputKey sanitises a task output key into a label value, reporting false
// when it still is not a plain identifier.
func outputKey(k string) (string, bool) {
	k = outputKeyReplacer.Replace(k)
	return k, outputKeyRE.MatchString(k)
}

// numericOutput returns o's sanitised key and value when o is a finite
// number under a usable key. "rows=1042" qualifies; "status=ok", "NaN" and
// "1,042" do not.
func numericOutput(o record.Output) (string, float64, bool) {
	key, ok := outputKey(o.Key)
	if !ok {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(o.Value), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return "", 0, false
	}
	return key, v, true
}

type taskKey struct{ pipeline, task string }

// outputKeys remembers which output keys each task has exported, so that a
// task printing a new key per run cannot grow the series without bound.
type outputKeys struct {
	mu   sync.Mutex
	seen map[taskKey]map[string]struct{}
}

// admit reports whether key may be exported for t, recording it if new.
func (o *outputKeys) admit(t taskKey, key string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	keys := o.seen[t]
	if _, ok := keys[key]; ok {
		return true
	}
	if len(keys) >= MaxOutputKeys {
		return false
	}
	if keys == nil {
		keys = map[string]struct{}{}
		o.seen[t] = keys
	}
	keys[key] = struct{}{}
	return true
}
