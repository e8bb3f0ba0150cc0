package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ChunkWriter appends shipped chunks to the store.
type ChunkWriter interface {
	AppendLogChunk(ctx context.Context, c record.LogChunk) error
}

// Shipping defaults.
const (
	// DefaultShipLimit bounds what one attempt ships: past it the log ends
	// in TruncationMark.
	DefaultShipLimit = 10 << 20
	// DefaultShipEvery is how often a shipper looks for new bytes.
	DefaultShipEvery = 250 * time.Millisecond
	// maxChunk bounds one chunk's bytes.
	maxChunk = 256 << 10
)

// TruncationMark ends a shipped log that reached its limit.
const TruncationMark = "\n[gantry: log truncated: it reached the %d bytes an attempt ships to the store; the rest stays in the file on the worker]\n"

// ShipOptions tune a Shipper; zero fields are the defaults.
type ShipOptions struct {
	Limit int64         // DefaultShipLimit
	Every time.Duration // DefaultShipEvery
}

// Ship follows the log file at path, which the executor writes (secrets
// already redacted), and appends what it holds to the store in chunks as
// it grows, up to the limit (then a truncation mark). Call stop once the
// attempt has ended: it ships what is left, stops following and returns
// why the last bytes could not be shipped, if they could not. A file that never appears ships nothing.
func Ship(ctx context.Context, st ChunkWriter, attemptID int64, path string) (stop func() error) {
	return ShipWith(ctx, st, attemptID, path, ShipOptions{})
}

// ShipWith is Ship with options.
func ShipWith(ctx context.Context, st ChunkWriter, attemptID int64, path string, o ShipOptions) (stop func() error) {
	if o.Limit <= 0 {
		o.Limit = DefaultShipLimit
	}
	if o.Every <= 0 {
		o.Every = DefaultShipEvery
	}
	s := &shipper{st: st, id: attemptID, path: path, o: o}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(o.Every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.ship(ctx)
		}
	}()
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() {
			cancel()
			<-done
			// The last bytes, with a context of their own: the attempt's
			// may be over already.
			fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer fcancel()
			s.ship(fctx)
			err = s.err
		})
		return err
	}
}

// shipper is one attempt's shipping; ship is called by one goroutine at
// a time.
type shipper struct {
	st   ChunkWriter
	id   int64
	path string
	o    ShipOptions

	off       int64 // bytes of the file shipped
	seq       int64
	truncated bool
	err       error // why the last try failed; nil once it is shipped
}

// ship appends what the file holds past what was shipped.
func (s *shipper) ship(ctx context.Context) {
	if s.truncated {
		return
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		s.fail(err)
		return
	}
	defer f.Close()
	buf := make([]byte, maxChunk)
	for !s.truncated {
		room := s.o.Limit - s.off
		n, rerr := f.ReadAt(buf[:min(int64(len(buf)), max(room, 0))], s.off)
		if n > 0 {
			if !s.append(ctx, buf[:n]) {
				return
			}
		}
		if s.off >= s.o.Limit {
			// More than the limit only if the file holds another byte.
			var one [1]byte
			if k, _ := f.ReadAt(one[:], s.off); k == 1 {
				s.append(ctx, []byte(fmt.Sprintf(TruncationMark, s.o.Limit)))
				s.truncated = true
			}
			return
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				s.fail(rerr)
			}
			return
		}
	}
}

// append stores b as the next chunk; it reports success. A chunk already
// stored (a retry after a lost reply) counts as shipped.
func (s *shipper) append(ctx context.Context, b []byte) bool {
	err := s.st.AppendLogChunk(ctx, record.LogChunk{AttemptID: s.id, Seq: s.seq, Offset: s.off, Data: b})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		s.fail(err) // tried again at the next look, from the same offset
		return false
	}
	s.seq++
	s.off += int64(len(b))
	s.err = nil // what failed before is shipped now
	return true
}

func (s *shipper) fail(err error) {
	s.err = fmt.Errorf("ship log of attempt %d: %w", s.id, err)
}
