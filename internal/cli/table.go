package cli

import (
	"bufio"
	"io"
	"text/tabwriter"
)

// table is a tabwriter whose output is buffered: a bare tabwriter writes
// each cell and each run of padding on its own, a dozen system calls a
// row. Flush writes it all.
type table struct {
	*tabwriter.Writer
	buf *bufio.Writer
}

func newTable(w io.Writer) *table {
	buf := bufio.NewWriter(w)
	return &table{Writer: tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0), buf: buf}
}

// Flush aligns and writes what was written to t.
func (t *table) Flush() error {
	if err := t.Writer.Flush(); err != nil {
		return err
	}
	return t.buf.Flush()
}
