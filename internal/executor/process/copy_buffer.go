package process

import (
	"io"
	"sync"
)

// copyBufs lends the buffer an attempt's output is copied through from
// its pipe. Without it os/exec allocates 32 KiB per attempt, which a
// chain of short tasks pays for in garbage collection.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// readFrom copies r to w until EOF through a lent buffer: the ReadFrom of
// the writers os/exec copies output to.
func readFrom(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	// Neither side may hand the copy back to the other's own method: an
	// *os.File's WriteTo would come back here through ReadFrom.
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, *bp)
}

// ReadFrom copies r into the log through a lent buffer.
func (l *lazyFile) ReadFrom(r io.Reader) (int64, error) { return readFrom(l, r) }

// ReadFrom copies r through the copier with a lent buffer.
func (w *lineWriter) ReadFrom(r io.Reader) (int64, error) { return readFrom(w, r) }
