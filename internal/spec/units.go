package spec

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var daysRe = regexp.MustCompile(`^(\d+(?:\.\d+)?)d`)

// ParseDuration parses a Go duration ("90s", "1h30m") that may start with a
// number of days ("2d", "1d12h"). It must be greater than zero.
func ParseDuration(s string) (time.Duration, error) {
	rest := strings.TrimSpace(s)
	var total time.Duration
	if m := daysRe.FindStringSubmatch(rest); m != nil {
		days, err := strconv.ParseFloat(m[1], 64)
		if err != nil || days*24 > float64(math.MaxInt64/int64(time.Hour)) {
			return 0, errors.New("out of range")
		}
		total = time.Duration(days * 24 * float64(time.Hour))
		rest = rest[len(m[0]):]
	}
	if rest != "" {
		if _, err := strconv.ParseFloat(rest, 64); err == nil {
			return 0, errors.New("missing unit (use e.g. 30s, 10m, 2h, 1d)")
		}
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, errors.New("want a duration like 30s, 10m, 2h or 1d")
		}
		if d <= 0 {
			return 0, errors.New("must be greater than zero")
		}
		if d > 0 && total > math.MaxInt64-d {
			return 0, errors.New("out of range")
		}
		total += d
	}
	if total <= 0 {
		return 0, errors.New("must be greater than zero")
	}
	return total, nil
}

var sizeRe = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$`)

var sizeUnits = map[string]float64{
	"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50,
}

// ParseSize parses a byte count: 1024, 500M, 1G, 512Mi, 1.5Gi. Decimal
// suffixes (k, M, G, T, P) are powers of 1000, binary ones (Ki, Mi, Gi,
// Ti, Pi) powers of 1024. It must be at least one byte.
func ParseSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errors.New("want a size like 256Mi, 2Gi, 500M or a number of bytes")
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, errors.New("out of range")
	}
	v := n * sizeUnits[m[2]]
	if v >= math.MaxInt64 {
		return 0, errors.New("out of range")
	}
	if v < 1 {
		return 0, errors.New("must be at least one byte")
	}
	return int64(math.Round(v)), nil
}

var cpuRe = regexp.MustCompile(`^(\d+(?:\.\d+)?|\.\d+)(m?)$`)

// ParseCPU parses a CPU amount into thousandths of a CPU: "500m" is 500,
// "2" is 2000, "0.5" is 500. It must be at least 1m.
func ParseCPU(s string) (int64, error) {
	m := cpuRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errors.New(`want a CPU amount like "500m", "2" or 0.5`)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, errors.New("out of range")
	}
	if m[2] == "" {
		n *= 1000
	}
	if n > 1e9 {
		return 0, errors.New("out of range")
	}
	if n != math.Trunc(n) {
		return 0, errors.New("finer than 1m (a thousandth of a CPU)")
	}
	if n < 1 {
		return 0, errors.New("must be greater than zero")
	}
	return int64(n), nil
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := d.scalar(n, path, "a duration like 30s, 10m or 2h")
	if !ok {
		return 0, false
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "invalid duration %q: %v", clip(s), err)
		return 0, false
	}
	return v, true
}

func (d *decoder) size(n *yaml.Node, path string) (int64, bool) {
	s, ok := d.scalar(n, path, "a size like 512Mi or 2Gi")
	if !ok {
		return 0, false
	}
	v, err := ParseSize(s)
	if err != nil {
		d.errorf(n, path, "invalid size %q: %v", clip(s), err)
		return 0, false
	}
	return v, true
}

func (d *decoder) cpu(n *yaml.Node, path string) (int64, bool) {
	s, ok := d.scalar(n, path, `a CPU amount like "500m" or "2"`)
	if !ok {
		return 0, false
	}
	v, err := ParseCPU(s)
	if err != nil {
		d.errorf(n, path, "invalid cpu %q: %v", clip(s), err)
		return 0, false
	}
	return v, true
}

// FormatSize renders bytes the way people write them: 256Mi, 1.5Gi, 1000.
func FormatSize(b int64) string {
	for _, u := range []string{"Pi", "Ti", "Gi", "Mi", "Ki"} {
		f := sizeUnits[u]
		if float64(b) >= f {
			v := float64(b) / f
			if v == math.Trunc(v) || v*10 == math.Trunc(v*10) {
				return strconv.FormatFloat(v, 'f', -1, 64) + u
			}
		}
	}
	return fmt.Sprint(b)
}
