package alert_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/alert"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	const value = "hunter2-routing-key"
	cfg := struct {
		Name string
		Key  alert.Secret
	}{"pd", value}
	var printed []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		printed = append(printed, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, cfg.Key))
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "key", cfg.Key, "cfg", cfg)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "key", cfg.Key)
	printed = append(printed, string(j), logged.String())
	for _, p := range printed {
		if strings.Contains(p, value) || strings.Contains(p, fmt.Sprintf("%x", value)) {
			t.Errorf("secret revealed: %s", p)
		}
	}
	var back struct{ Key string }
	if err := json.Unmarshal(j, &back); err != nil || back.Key != "<redacted>" {
		t.Errorf("JSON = %s, want Key <redacted>", j)
	}
	if string(cfg.Key) != value {
		t.Error("string(Secret) does not give the value back")
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"nothing known", nil, "password=abc", "password=abc"},
		{"empty values ignored", []string{"", ""}, "abc", "abc"},
		{"every occurrence", []string{"abc"}, "abc and abc", "<redacted> and <redacted>"},
		{"longer secret first", []string{"abc", "abcdef"}, "key abcdef", "key <redacted>"},
		{"multi-line value", []string{"line1\nline2"}, "x line1\nline2 y", "x <redacted> y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := alert.NewRedactor(tc.secrets...)(tc.in); got != tc.want {
				t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactorAlertCopies(t *testing.T) {
	t.Parallel()
	a := alert.Alert{
		Summary: "failed with tok3n", Details: "Authorization: Bearer tok3n",
		Labels: map[string]string{"task": "tok3n"}, RunURL: "https://x/?t=tok3n", RunbookURL: "https://x/tok3n",
	}
	got := alert.NewRedactor("tok3n").Alert(a)
	if strings.Contains(fmt.Sprintf("%+v", got), "tok3n") {
		t.Errorf("redacted alert still holds the secret: %+v", got)
	}
	if a.Labels["task"] != "tok3n" {
		t.Error("redacting changed the caller's labels")
	}
	if got := alert.Redactor(nil).Alert(a); got.Summary != a.Summary {
		t.Error("a nil Redactor changed the alert")
	}
}
