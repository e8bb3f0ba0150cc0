package scaffold

import (
	"path/filepath"
	"strings"
)

// fallbackName is DefaultName's answer when a folder's name has nothing
// to keep.
const fallbackName = "pipeline"

// DefaultName makes a project name from the folder dir: its base name
// lowercased, every run of characters a name may not hold turned into one
// '-', trimmed of leading and trailing '-' and '_', at most 63 long;
// "pipeline" when nothing is left.
func DefaultName(dir string) string {
	base := filepath.Base(filepath.Clean(dir))
	if abs, err := filepath.Abs(dir); err == nil {
		base = filepath.Base(abs)
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(base) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-_")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-_")
	}
	if name == "" {
		return fallbackName
	}
	return name
}
