package spec

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"seconds", "30s", 30 * time.Second, false},
		{"hours", "26h", 26 * time.Hour, false},
		{"compound", "1h30m", 90 * time.Minute, false},
		{"days", "2d", 48 * time.Hour, false},
		{"days and hours", "1d12h", 36 * time.Hour, false},
		{"fractional days", "1.5d", 36 * time.Hour, false},
		{"no unit", "30", 0, true},
		{"zero", "0s", 0, true},
		{"negative", "-5m", 0, true},
		{"negative after days", "1d-5h", 0, true},
		{"words", "ten minutes", 0, true},
		{"empty", "", 0, true},
		{"days overflow", "999999999999d", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"bytes", "1024", 1024, false},
		{"mebibytes", "512Mi", 512 << 20, false},
		{"gibibytes", "2Gi", 2 << 30, false},
		{"fractional", "1.5Gi", 3 << 29, false},
		{"gigabytes", "1G", 1_000_000_000, false},
		{"megabytes", "500M", 500_000_000, false},
		{"kilo lowercase", "64k", 64_000, false},
		{"MB is not a unit", "512MB", 0, true},
		{"zero", "0", 0, true},
		{"negative", "-1Gi", 0, true},
		{"overflow", "99999999Pi", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSize(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseSize(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseCPU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"millicores", "500m", 500, false},
		{"whole", "2", 2000, false},
		{"fraction", "0.5", 500, false},
		{"leading dot", ".25", 250, false},
		{"too fine", "0.0001", 0, true},
		{"zero", "0", 0, true},
		{"unit", "2cpu", 0, true},
		{"huge", "99999999", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCPU(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseCPU(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]string{256 << 20: "256Mi", 3 << 29: "1.5Gi", 1000: "1000", 2048: "2Ki"} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	keys := []string{"timeout", "retries", "resources", "needs", "run", "id"}
	tests := []struct {
		name, in, want string
	}{
		{"one letter missing", "timout", `did you mean "timeout"?`},
		{"swapped letters", "retires", `did you mean "retries"?`},
		{"case", "Needs", `did you mean "needs"?`},
		{"too far", "command", ""},
		{"short words need a close match", "xy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := didYouMean(tt.in, keys); got != tt.want {
				t.Fatalf("didYouMean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
