package secrets

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/zricethezav/gitleaks/v8/config"
)

const (
	// MaxFileSize is the largest file ScanFile reads.
	MaxFileSize = 10 << 20
	// binarySniff is how much of a file is searched for a NUL byte.
	binarySniff = 8 << 10
)

// Errors ScanFile returns for files it does not scan; the caller reports
// them as skipped.
var (
	ErrBinary   = errors.New("binary file")
	ErrTooLarge = errors.New("file larger than 10 MiB")
)

// A Finding is one hardcoded secret. It never holds the secret itself.
type Finding struct {
	File   string // as given (relative to the scan root)
	Line   int    // 1-based
	Col    int    // 1-based, where the secret starts
	Rule   string // "gitleaks.<rule-id>" or "gantry.<rule-id>"
	Desc   string // what kind of secret, for people
	Masked string // at most the first 4 characters of the secret, then "****"
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s (%s) %s", f.File, f.Line, f.Col, f.Desc, f.Rule, f.Masked)
}

// A Scanner finds secrets in files. It is safe for concurrent use.
type Scanner struct {
	rules ruleSets
	index *ruleIndex
	full  *detectorPool // every rule, with decoding
	paths *detectorPool // every rule, for rules on file names alone
}

// New returns a Scanner on gitleaks' default rules and Gantry's own. The
// gitleaks rules are compiled once per process, on the first call.
func New() (*Scanner, error) {
	rs, err := loadRuleSets()
	if err != nil {
		return nil, err
	}
	return &Scanner{
		rules: rs,
		index: newRuleIndex(rs),
		full:  newDetectorPool(rs.full, maxDecodeDepth),
		paths: newDetectorPool(rs.full, 0),
	}, nil
}

// ScanFile scans the file at path, naming it display in findings. It
// returns ErrBinary or ErrTooLarge (wrapped) for files it does not read in
// full; findings on a binary file's name alone (a .p12 keystore) still come back.
func (s *Scanner) ScanFile(path, display string) ([]Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", display, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", display, err)
	}
	if info.Size() > MaxFileSize {
		return toFindings(s.scanPathOnly(display)), fmt.Errorf("scan %s: %w", display, ErrTooLarge)
	}
	text, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", display, err)
	}
	if len(text) > MaxFileSize {
		return toFindings(s.scanPathOnly(display)), fmt.Errorf("scan %s: %w", display, ErrTooLarge)
	}
	if bytes.IndexByte(text[:min(len(text), binarySniff)], 0) >= 0 {
		return toFindings(s.scanPathOnly(display)), fmt.Errorf("scan %s: %w", display, ErrBinary)
	}
	return s.ScanText(display, text), nil
}

// ScanText scans text as the content of the file named display.
func (s *Scanner) ScanText(display string, text []byte) []Finding {
	starts := lineStarts(text)
	lower := asciiLower(text)
	hits := s.index.scan(display, text, lower, starts)
	if lines := encodedLines(text, starts); len(lines) > 0 {
		hits = append(hits, s.full.scan(display, text, starts, lines)...)
	}
	return toFindings(hits)
}

// ScanFiles scans the files rel (relative to root) in parallel and returns
// the findings sorted by file, line and column, and one error per file that
// could not be scanned. Files gitleaks' global allowlist excludes (lock
// files, vendored code, images, fonts) are not read.
func (s *Scanner) ScanFiles(ctx context.Context, root string, rel []string) ([]Finding, []error) {
	type result struct {
		findings []Finding
		err      error
	}
	results := make([]result, len(rel))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range jobs {
				name := filepath.ToSlash(rel[i])
				if s.skipPath(name) {
					continue
				}
				fs, err := s.ScanFile(filepath.Join(root, rel[i]), name)
				results[i] = result{fs, err}
			}
		})
	}
	var ctxErr error
feed:
	for i := range rel {
		select {
		case jobs <- i:
		case <-ctx.Done():
			ctxErr = fmt.Errorf("scan for secrets: %w", ctx.Err())
			break feed
		}
	}
	close(jobs)
	wg.Wait()

	var (
		findings []Finding
		errs     []error
	)
	for _, r := range results {
		findings = append(findings, r.findings...)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if ctxErr != nil {
		errs = append(errs, ctxErr)
	}
	slices.SortStableFunc(findings, compareFindings)
	return findings, errs
}

// skipPath reports whether gitleaks' global allowlist excludes the file by
// its path, so neither rule set would report anything in it.
func (s *Scanner) skipPath(name string) bool {
	for _, a := range s.rules.full.Allowlists {
		if a.MatchCondition == config.AllowlistMatchOr && a.PathAllowed(name) {
			return true
		}
	}
	return false
}

func compareFindings(a, b Finding) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
		cmp.Compare(a.Rule, b.Rule))
}

// Skips reports whether ScanFiles leaves a file of that name unread:
// gitleaks' global allowlist excludes it by its path.
func (s *Scanner) Skips(name string) bool { return s.skipPath(name) }
