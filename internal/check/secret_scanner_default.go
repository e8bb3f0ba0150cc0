package check

import (
	"context"

	"github.com/gantryhq/gantry/internal/check/secrets"
)

// newSecretScanner returns the built-in scanner: gitleaks' rules plus
// Gantry's own, from the secrets package.
func newSecretScanner() (SecretScanner, error) {
	s, err := secrets.New()
	if err != nil {
		return nil, err
	}
	return secretsAdapter{s}, nil
}

// secretsAdapter keeps the secrets package's types out of this package's
// API, so tests can use a fake scanner.
type secretsAdapter struct{ s *secrets.Scanner }

var _ SecretScanner = secretsAdapter{}

func (a secretsAdapter) ScanFiles(ctx context.Context, root string, rel []string) ([]SecretFinding, []error) {
	found, errs := a.s.ScanFiles(ctx, root, rel)
	out := make([]SecretFinding, len(found))
	for i, f := range found {
		out[i] = SecretFinding{File: f.File, Line: f.Line, Col: f.Col, Rule: f.Rule, Desc: f.Desc, Masked: f.Masked}
	}
	return out, errs
}

var _ TextScanner = secretsAdapter{}

// ScanText scans text, unless the scanner skips files of that name (lock
// files, vendored code, images).
func (a secretsAdapter) ScanText(name string, text []byte) []SecretFinding {
	if a.s.Skips(name) {
		return nil
	}
	found := a.s.ScanText(name, text)
	out := make([]SecretFinding, len(found))
	for i, f := range found {
		out[i] = SecretFinding{File: f.File, Line: f.Line, Col: f.Col, Rule: f.Rule, Desc: f.Desc, Masked: f.Masked}
	}
	return out
}
