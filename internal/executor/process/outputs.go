package process

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/gantryhq/gantry/internal/record"
)

// maxOutputFile caps how much of $GANTRY_OUTPUT is read.
const maxOutputFile = 1 << 20

// readOutputs parses the key=value lines a task wrote to path, with every
// secret shape of secrets redacted first: keys and the lines quoted in
// errors are shown as well as values. Bad lines are reported, not fatal: a
// task's figures never fail the task. The file is removed once open: it
// may hold a secret, and what it says goes into the result. A task that
// wrote none, the common case, costs one open(2).
func readOutputs(path string, secrets []string) ([]record.Output, []string) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // the task reported nothing
	}
	if err != nil {
		_ = syscall.Unlink(path)
		return nil, []string{fmt.Sprintf("read outputs: %v", err)}
	}
	defer f.Close()
	_ = syscall.Unlink(path) // read below through f
	// Read past the cap by the longest secret, so that one straddling it
	// is still seen whole.
	extra := 0
	for _, s := range secrets {
		extra = max(extra, 2*len(s))
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(maxOutputFile+1+extra)))
	if err != nil {
		return nil, []string{fmt.Sprintf("read outputs: %v", err)}
	}
	over := len(data) > maxOutputFile
	data = redactBytes(secrets, data)
	var errs []string
	if over {
		// The cut line is incomplete: drop it rather than report half a figure.
		data = data[:bytes.LastIndexByte(data[:min(len(data), maxOutputFile)], '\n')+1]
		errs = append(errs, "output file larger than 1 MiB: the rest is ignored")
	}
	outs, lineErrs := parseOutputs(data)
	return outs, append(errs, lineErrs...)
}

func parseOutputs(data []byte) ([]record.Output, []string) {
	var (
		outs []record.Output
		errs []string
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxOutputFile+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, value, ok := bytes.Cut(line, []byte("="))
		key = bytes.TrimSpace(key)
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("line %d: %q: want key=value", n, line))
		case !validKey(key):
			errs = append(errs, fmt.Sprintf("line %d: %q: key must match [A-Za-z_][A-Za-z0-9_.-]*", n, line))
		default:
			outs = append(outs, record.Output{Key: string(key), Value: string(bytes.TrimSpace(value))})
		}
	}
	return outs, errs
}

func validKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for i, c := range k {
		letter := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}
