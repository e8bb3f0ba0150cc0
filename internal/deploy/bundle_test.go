package deploy_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
)

// A gantry.yaml over the spec's size limit is not read into a bundle,
// even when the pipeline itself loads.
func TestCollectRefusesOversizeProjectFile(t *testing.T) {
	t.Parallel()
	dir := project(t, edit{file: "gantry.yaml", new: strings.Repeat("# padding\n", 2<<20/10)})
	b, err := deploy.Collect(dir, "orders")
	want := filepath.Join(dir, "gantry.yaml") + ": file is 2.0 MiB, over the 1 MiB limit for gantry.yaml"
	if !errors.Is(err, deploy.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Collect gave a bundle: %t, error %v; want ErrInvalid naming %q", b != nil, err, want)
	}
}
