package process

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/record"
)

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     []record.Output
		wantErrs []string
	}{
		{name: "empty"},
		{name: "comments and blanks", in: "# rows\n\n   \n\t# x=1\n"},
		{name: "trimmed", in: "  rows =  12  \r\n", want: []record.Output{{Key: "rows", Value: "12"}}},
		{name: "value keeps equals", in: "q=a=b\n", want: []record.Output{{Key: "q", Value: "a=b"}}},
		{name: "empty value", in: "note=\n", want: []record.Output{{Key: "note", Value: ""}}},
		{name: "dotted key", in: "rows.written-total_2=5", want: []record.Output{{Key: "rows.written-total_2", Value: "5"}}},
		{
			name:     "missing equals",
			in:       "a=1\nrows 12\n",
			want:     []record.Output{{Key: "a", Value: "1"}},
			wantErrs: []string{`line 2: "rows 12": want key=value`},
		},
		{
			name: "bad keys",
			in:   "=1\n1a=2\nmy key=3\n",
			wantErrs: []string{
				`line 1: "=1": key must match [A-Za-z_][A-Za-z0-9_.-]*`,
				`line 2: "1a=2": key must match [A-Za-z_][A-Za-z0-9_.-]*`,
				`line 3: "my key=3": key must match [A-Za-z_][A-Za-z0-9_.-]*`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, errs := parseOutputs([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(errs, tt.wantErrs) {
				t.Errorf("parseOutputs(%q) = %v, %q; want %v, %q", tt.in, got, errs, tt.want, tt.wantErrs)
			}
		})
	}
}

func TestReadOutputsCapsSize(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out")
	big := "a=1\n" + strings.Repeat("# padding\n", maxOutputFile/10) + "b=2\n"
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	outs, errs := readOutputs(path, nil)
	if len(outs) != 1 || outs[0].Key != "a" {
		t.Errorf("outputs = %v, want only a", outs)
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "larger than 1 MiB") {
		t.Errorf("errors = %q", errs)
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0:                "0B",
		900:              "900B",
		512 << 10:        "512Ki",
		64 << 20:         "64Mi",
		64<<20 - 100<<10: "63.9Mi",
		3 << 30:          "3Gi",
		1<<30 + 1<<29:    "1.5Gi",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
