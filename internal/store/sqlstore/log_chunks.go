package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// AppendLogChunk stores c; a chunk with its attempt and Seq already stored
// is store.ErrConflict.
func (s *Store) AppendLogChunk(ctx context.Context, c record.LogChunk) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = Now()
	}
	if c.Data == nil {
		c.Data = []byte{}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO log_chunks (attempt_id, seq, start_offset, bytes, created_at)
		VALUES (?, ?, ?, ?, ?)`, c.AttemptID, c.Seq, c.Offset, c.Data, s.t(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("append log chunk %d of attempt %d: %w", c.Seq, c.AttemptID, err)
	}
	return nil
}

// ReadLog returns attempt's shipped log from byte from, and its shipped
// size; an attempt without chunks is store.ErrNotFound.
func (s *Store) ReadLog(ctx context.Context, attemptID, from int64) ([]byte, int64, error) {
	var size, n int64
	// The size is the end of the last chunk: chunks are appended in order,
	// each starting where the one before ended.
	if err := s.db.Row(ctx, `SELECT count(*), coalesce(max(start_offset + length(bytes)), 0) FROM log_chunks
		WHERE attempt_id = ?`, attemptID).Scan(&n, &size); err != nil {
		return nil, 0, fmt.Errorf("read log of attempt %d: %w", attemptID, err)
	}
	if n == 0 {
		return nil, 0, fmt.Errorf("read log of attempt %d: %w", attemptID, store.ErrNotFound)
	}
	from = max(from, 0)
	rows, err := s.db.Query(ctx, `SELECT start_offset, bytes FROM log_chunks
		WHERE attempt_id = ? AND start_offset + length(bytes) > ? ORDER BY seq`, attemptID, from)
	chunks, err := Collect(rows, err, func(sc Scanner) (record.LogChunk, error) {
		var c record.LogChunk
		err := sc.Scan(&c.Offset, &c.Data)
		return c, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read log of attempt %d: %w", attemptID, err)
	}
	out := make([]byte, 0, max(size-from, 0))
	for _, c := range chunks {
		if skip := from - c.Offset; skip > 0 {
			c.Data = c.Data[min(skip, int64(len(c.Data))):]
		}
		out = append(out, c.Data...)
	}
	return out, size, nil
}

// PruneLogChunks deletes the chunks created before before.
func (s *Store) PruneLogChunks(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.fencedWriteTx(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`DELETE FROM log_chunks WHERE created_at < ?`, s.t(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune log chunks: %w", err)
	}
	return n, nil
}
