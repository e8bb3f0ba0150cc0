package check

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha1" //nolint:gosec // git names blobs by SHA-1; this is no security use
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gantryhq/gantry/internal/check/secrets"
)

// ErrNoHistory is returned by Check with Options.History when the project
// is in no git repository, or the scanner cannot scan text.
var ErrNoHistory = errors.New("no history to scan")

// blobHash is the id git gives a file of that content.
func blobHash(data []byte) string {
	h := sha1.New() //nolint:gosec // see the import
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// historyBlob is one file content from the history: its blob id and the
// first path git names it by.
type historyBlob struct {
	id, path string
}

// scanHistory scans every blob reachable from HEAD that is not the
// content of a file already scanned: each content once, whatever commits
// hold it. A finding names the commit that added the content.
func (r *run) scanHistory(ctx context.Context) error {
	ts, ok := r.opts.Secrets.(TextScanner)
	switch {
	case !r.repo.git:
		return fmt.Errorf("%w: %s is in no git repository", ErrNoHistory, r.dir)
	case !ok:
		return fmt.Errorf("%w: the secret scanner cannot scan text", ErrNoHistory)
	}
	blobs, err := r.historyBlobs(ctx)
	if err != nil {
		return err
	}
	current := map[string]bool{} // file and secret of each finding in the work tree
	for _, f := range r.findings {
		if f.Rule == RuleHardcodedSecret {
			current[f.File+"\x00"+f.Message] = true
		}
	}
	found, err := r.scanBlobs(ctx, ts, blobs)
	if err != nil {
		return err
	}
	commits := map[string]string{} // blob → the commit that added it
	for _, bf := range found {
		f := bf.finding
		file := r.display(f.File)
		msg := fmt.Sprintf("%s (%s): %s", f.Desc, f.Rule, f.Masked)
		if current[file+"\x00"+msg] {
			continue // still in the work tree and reported there, or in an older version already
		}
		current[file+"\x00"+msg] = true
		c, ok := commits[bf.blob]
		if !ok {
			c = r.addedIn(ctx, bf.blob)
			commits[bf.blob] = c
		}
		r.add(Finding{
			Rule: RuleHardcodedSecret, File: file, Line: f.Line, Col: f.Col,
			Message: msg + ", in history: commit " + c, commit: c,
		})
	}
	return nil
}

// historyBlobs lists the blobs reachable from HEAD that hold no file
// already scanned, and lie in no folder the gate skips.
func (r *run) historyBlobs(ctx context.Context) ([]historyBlob, error) {
	if err := exec.CommandContext(ctx, "git", "-C", r.repo.root, "rev-parse", "--verify", "--quiet", "HEAD").Run(); err != nil {
		return nil, ctx.Err() // no commit yet: no history
	}
	cmd := exec.CommandContext(ctx, "git", "-C", r.repo.root, "rev-list", "--objects", "--filter=object:type=blob", "HEAD")
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("git rev-list: %w", gitErr(err))
	}
	var blobs []historyBlob
	for line := range strings.Lines(string(out)) {
		id, p, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if !ok || p == "" || r.blobs[id] || inSkipDir(p) {
			continue // a commit, or content already scanned
		}
		blobs = append(blobs, historyBlob{id: id, path: p})
	}
	return blobs, nil
}

// blobFinding is a finding in a blob, named by the blob's repository path.
type blobFinding struct {
	blob    string
	finding SecretFinding
}

// scanBlobs reads the blobs through one git cat-file --batch and scans
// the text ones in parallel.
func (r *run) scanBlobs(ctx context.Context, ts TextScanner, blobs []historyBlob) ([]blobFinding, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", r.repo.root, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	go func() {
		w := bufio.NewWriter(stdin)
		for _, b := range blobs {
			w.WriteString(b.id + "\n")
		}
		w.Flush()
		stdin.Close()
	}()

	type job struct {
		blob historyBlob
		text []byte
	}
	jobs := make(chan job, runtime.NumCPU())
	var (
		mu    sync.Mutex
		found []blobFinding
		wg    sync.WaitGroup
	)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for j := range jobs {
				fs := ts.ScanText(j.blob.path, j.text)
				mu.Lock()
				for _, f := range fs {
					found = append(found, blobFinding{blob: j.blob.id, finding: f})
				}
				mu.Unlock()
			}
		})
	}
	files := r.scanned
	readErr := readBatch(bufio.NewReaderSize(stdout, 1<<20), blobs, func(i int, b historyBlob, text []byte) {
		if text != nil && bytes.IndexByte(text[:min(len(text), 8000)], 0) < 0 {
			jobs <- job{b, text}
		}
		if r.opts.Progress != nil && ((i+1)%scanBatch == 0 || i+1 == len(blobs)) {
			r.opts.Progress(files+i+1, files+len(blobs))
		}
	})
	close(jobs)
	wg.Wait()
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case readErr != nil:
		return nil, fmt.Errorf("git cat-file: %w", readErr)
	case waitErr != nil:
		return nil, fmt.Errorf("git cat-file: %w", gitErr(waitErr))
	}
	sortBlobFindings(found)
	return found, nil
}

// readBatch reads git cat-file --batch's answers, one per blob in order,
// and calls fn with each one's index and content (nil for one too large
// to scan).
func readBatch(br *bufio.Reader, blobs []historyBlob, fn func(int, historyBlob, []byte)) error {
	for i, b := range blobs {
		header, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		fields := strings.Fields(header)
		if len(fields) == 2 && fields[1] == "missing" {
			fn(i, b, nil)
			continue
		}
		if len(fields) != 3 {
			return fmt.Errorf("unexpected answer %q", header)
		}
		size, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			return fmt.Errorf("unexpected answer %q", header)
		}
		if size > secrets.MaxFileSize {
			if _, err := br.Discard(int(size) + 1); err != nil {
				return err
			}
			fn(i, b, nil)
			continue
		}
		text := make([]byte, size+1)
		if _, err := io.ReadFull(br, text); err != nil {
			return err
		}
		fn(i, b, text[:size])
	}
	return nil
}

// addedIn returns the short id of the oldest commit reachable from HEAD
// that adds the blob.
func (r *run) addedIn(ctx context.Context, blob string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", r.repo.root, "log", "--format=%h", "--find-object="+blob, "HEAD").Output()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) == 0 {
		return blob[:min(len(blob), 12)]
	}
	return lines[len(lines)-1]
}

// gitErr adds what git said on stderr to its exit error.
func gitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

func sortBlobFindings(fs []blobFinding) {
	slices.SortFunc(fs, func(a, b blobFinding) int {
		return cmp.Or(cmp.Compare(a.finding.File, b.finding.File), cmp.Compare(a.finding.Line, b.finding.Line),
			cmp.Compare(a.finding.Col, b.finding.Col), cmp.Compare(a.blob, b.blob))
	})
}
