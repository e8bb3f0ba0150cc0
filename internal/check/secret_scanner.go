package check

import "context"

// SecretFinding is one hardcoded secret a SecretScanner found. Masked is
// all of the secret a report may show.
type SecretFinding struct {
	File      string // relative to the scanned root
	Line, Col int
	Rule      string // the scanner's rule, e.g. "aws-access-token"
	Desc      string
	Masked    string
}

// SecretScanner finds hardcoded secrets in files, given relative to root.
// Errors are per file; a scan goes on past them.
type SecretScanner interface {
	ScanFiles(ctx context.Context, root string, rel []string) ([]SecretFinding, []error)
}

// SecretScannerFunc adapts a function to SecretScanner.
type SecretScannerFunc func(ctx context.Context, root string, rel []string) ([]SecretFinding, []error)

// ScanFiles calls f.
func (f SecretScannerFunc) ScanFiles(ctx context.Context, root string, rel []string) ([]SecretFinding, []error) {
	return f(ctx, root, rel)
}

// TextScanner is a SecretScanner that also scans text that is no file of
// the work tree, such as a blob from the repository's history. name is
// the path the text had; findings name it.
type TextScanner interface {
	ScanText(name string, text []byte) []SecretFinding
}
