package storepg

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// ClaimEvents listens, on a connection of its own, for the claims queued
// and ended by any process on this database (LISTEN/NOTIFY), and delivers
// 0 for a queued claim and the attempt's ID for an ended one. A lost
// connection is made again, with a 0 delivered after, since what was
// notified meanwhile is gone. The channel closes once ctx ends.
func (s *Store) ClaimEvents(ctx context.Context) (<-chan int64, error) {
	conn, err := s.listen(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan int64, 64)
	go func() {
		defer close(ch)
		wait := 100 * time.Millisecond
		for {
			if conn == nil {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				wait = min(2*wait, 5*time.Second)
				if conn, err = s.listen(ctx); err != nil {
					conn = nil
					continue
				}
				wait = 100 * time.Millisecond
				deliver(ch, 0)
			}
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				_ = conn.Close(context.Background())
				conn = nil
				if ctx.Err() != nil {
					return
				}
				continue
			}
			id := int64(0)
			if n.Channel == sqlstore.ClaimsEndedChannel {
				id, _ = strconv.ParseInt(n.Payload, 10, 64)
			}
			deliver(ch, id)
		}
	}()
	return ch, nil
}

// deliver sends id unless the reader is behind: a busy reader looks at
// the store anyway before it waits again.
func deliver(ch chan int64, id int64) {
	select {
	case ch <- id:
	default:
	}
}

// listen takes a connection out of the pool for good and listens on it.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	conn := pc.Hijack()
	for _, c := range []string{sqlstore.ClaimsQueuedChannel, sqlstore.ClaimsEndedChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{c}.Sanitize()); err != nil {
			_ = conn.Close(context.Background())
			return nil, mapErr(err)
		}
	}
	return conn, nil
}
