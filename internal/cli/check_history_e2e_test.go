package cli_test

import (
	"path/filepath"
	"testing"
)

// gantry check reads the alert routes' test-fire history only from a
// store or server it was given or found running, and says which: the
// bundled example passes before and after gantry serve ran on it (the
// README's first command), the history is read through the server while
// it runs, and from a store only when --store names it. The example is
// a copy: the test never touches examples/data/.gantry.
func TestCheckReadsOnlyTheHistoryItWasGiven(t *testing.T) {
	t.Parallel()
	dir := copyExample(t, "data")

	r := gantry(t, dir, "check")
	wantCode(t, r, 0)
	wantContains(t, "check before any server", r.stdout, "test-fire history: not read", "no server runs for this project")

	s := serve(t, dir, nil)
	r = gantry(t, dir, "check")
	wantCode(t, r, 1)
	wantContains(t, "check with the server running", r.stdout, "test-fire history: read through the server at "+s.url,
		"alert-test-fire", "was never test-fired successfully")
	s.stop()

	r = gantry(t, dir, "check")
	wantCode(t, r, 0)
	wantContains(t, "check after gantry serve ran", r.stdout, "test-fire history: not read", "0 errors")

	r = gantry(t, dir, "check", "--format", "json")
	wantCode(t, r, 0)
	wantContains(t, "check --format json", r.stderr, "test-fire history: not read")

	db := filepath.Join(dir, ".gantry", "gantry.db")
	r = gantry(t, dir, "check", "--store", db)
	wantCode(t, r, 1)
	wantContains(t, "check --store", r.stdout, "test-fire history: read from the store "+db+" (--store)", "was never test-fired successfully")

	r = gantry(t, dir, "check", "--store", filepath.Join(dir, "nope.db"))
	wantCode(t, r, 2)
	wantContains(t, "check --store missing", r.stderr, "no such store")
}
