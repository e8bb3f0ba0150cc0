package schedule

import (
	"testing"
	"time"
)

func BenchmarkPrev(b *testing.B) {
	for _, expr := range []string{"*/15 * * * *", "0 2 * * *", "0 0 1 * *", "0 9 * * 1-5", "0 0 29 2 *"} {
		b.Run(expr, func(b *testing.B) {
			s := mustNew(b, expr, "Europe/Berlin")
			at := tm(b, "2026-10-25T02:40:00+01:00") // just after the autumn change
			for b.Loop() {
				s.Prev(at)
			}
		})
	}
}

func BenchmarkNext(b *testing.B) {
	for _, expr := range []string{"*/15 * * * *", "0 2 * * *", "0 0 1 * *"} {
		b.Run(expr, func(b *testing.B) {
			s := mustNew(b, expr, "Europe/Berlin")
			at := tm(b, "2026-03-29T01:40:00+01:00") // just before the spring change
			for b.Loop() {
				s.Next(at)
			}
		})
	}
}

func BenchmarkDue(b *testing.B) {
	now := tm(b, "2026-05-10T10:20:00+02:00")
	tests := []struct {
		name, expr, catchup string
		cursor              time.Time
	}{
		{"latest, month behind", "*/15 * * * *", CatchupLatest, now.AddDate(0, -1, 0)},
		{"all, day behind", "*/15 * * * *", CatchupAll, now.AddDate(0, 0, -1)},
		{"none, up to date", "0 2 * * *", CatchupNone, now.AddDate(0, 0, -1)},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			s := mustNew(b, tc.expr, "Europe/Berlin")
			for b.Loop() {
				s.Due(tc.cursor, now, tc.catchup, time.Minute)
			}
		})
	}
}
