package server

import (
	"context"
	"time"
)

// ScheduleNow runs one scheduler pass at now, synchronously: when it
// returns, every run due at now has been created (by it or, before it, by
// the scheduler loop). Tests use it as a barrier instead of sleeping.
func (s *Server) ScheduleNow(ctx context.Context, now time.Time) {
	s.scheduleDue(ctx, now)
}

// DispatchNow runs one dispatcher pass, synchronously, as a wake does.
func (s *Server) DispatchNow(ctx context.Context) {
	s.dispatch(ctx)
}
