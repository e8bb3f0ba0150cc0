package logs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// Tail returns the last n bytes of l, and whether l holds more before them.
func Tail(l Log, n int64) ([]byte, bool, error) {
	off := max(l.Size()-max(n, 0), 0)
	buf := make([]byte, l.Size()-off)
	if _, err := l.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	return buf, off > 0, nil
}

// LastLines returns at most maxLines of the last maxBytes of l, joined by
// newlines, without the final newline: a short excerpt that costs nothing
// however long the log. The first line may be cut where the budget began.
func LastLines(l Log, maxLines int, maxBytes int64) (string, error) {
	b, _, err := Tail(l, maxBytes)
	if err != nil {
		return "", err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), len(b)+1)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n"), nil
}

// LineOffset returns where the last n lines of l start, as tail -n counts
// them: a final newline does not start an empty line, and a last line
// without one counts. n of 0 is the end; more lines than l holds, the start.
func LineOffset(l Log, n int) (int64, error) {
	size := l.Size()
	if n <= 0 {
		return size, nil
	}
	end := size
	buf := make([]byte, 32<<10)
	for end > 0 {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := l.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := len(chunk) - 1; i >= 0; i-- {
			if chunk[i] != '\n' || start+int64(i) == size-1 {
				continue
			}
			if n--; n == 0 {
				return start + int64(i) + 1, nil
			}
		}
		end = start
	}
	return 0, nil
}
