// Package schedule decides when runs are due: it turns a cron expression
// in a time zone into ticks and logical intervals, and applies catch-up and
// backfill rules. It is pure logic: no I/O, no goroutines, no clock; the
// caller passes "now" and remembers the cursor.
//
// # Ticks and intervals
//
// A tick is an instant at which the cron expression fires. Ticks cut time
// into contiguous logical intervals [previous tick, tick), as Airflow's
// data intervals do: the run for an interval is due at its End, the tick
// that closes it, and covers the data of [Start, End). Each interval's
// Start is the previous interval's End, so no instant is lost or counted
// twice, whatever the clocks do.
//
// Next, Prev, IntervalEndingAt, Due and Intervals all derive from one
// definition of the ticks and agree with each other: Prev(Next(t)) ==
// Next(t), Next(Prev(t)) > t, and the intervals Due and Intervals return
// are exactly [Prev(e - 1ns), e) for their end ticks e.
//
// Expressions are read as spec.CronParser reads them: five fields (minute
// hour day-of-month month day-of-week) or a descriptor such as @daily,
// @hourly or @every 15m. Ticks fall on whole minutes. "@every d" ticks at
// the multiples of d since 1970-01-01 00:00 UTC, whatever the zone, so
// "@every 6h" ticks at 00:00, 06:00, 12:00 and 18:00 UTC.
//
// # Catch-up
//
// Due returns the intervals whose end tick lies in (cursor, now], where
// the cursor is the end of the last interval scheduled. The policy, from
// the pipeline's `schedule.catchup`, chooses among them: "all" returns
// every one, oldest first; "latest" (the default) only the newest; "none"
// only an interval whose tick is at most a grace period before now, so a
// scheduler that was down does not start runs for ticks it missed. A
// pipeline never scheduled before (zero cursor) gets only the newest
// interval, so deploying a pipeline does not backfill its history.
//
// # Manual runs
//
// A run started by hand with no interval named — gantry run, a trigger, a
// staging integration run, local or on a server — covers ManualInterval:
// the interval a scheduled run would have covered last, or the previous
// day in the pipeline's zone when it has no cron. One function decides it
// so that a local staging run tests the interval the server's would.
//
// # Daylight saving time
//
// A zone's clock jumps forward (spring) or back (autumn). How a schedule
// behaves depends on whether it fires every hour of the day (its hour
// field matches all 24 hours, as in @hourly or "*/15 * * * *") or at
// chosen hours.
//
// Schedules that fire every hour follow the clock: they tick whenever the
// local clock shows a matching time. In the hour the clock skips nothing
// fires, and in the hour it repeats everything fires twice. Their
// intervals keep their length in elapsed time: across the spring jump in
// Europe/Berlin (2026-03-29, 02:00 CET becomes 03:00 CEST) @hourly ticks at
// 01:00 CET and then 03:00 CEST, an interval of one hour; across the
// autumn jump (2026-10-25, 03:00 CEST becomes 02:00 CET) it ticks at
// 01:00 CEST, 02:00 CEST, 02:00 CET and 03:00 CET, so the interval
// [02:00 CEST, 02:00 CET) is one elapsed hour that starts and ends at the
// same wall-clock time. A spring day has 23 hourly intervals, an autumn
// day 25.
//
// Schedules at chosen hours fire once for each matching local date and
// time, at the first instant the clock shows that time or later:
//
//   - a time the clock skips fires at the first instant after the gap: in
//     Europe/Berlin `30 2 * * *` fires on 2026-03-29 at 03:00 CEST, and in
//     America/New_York on 2026-03-08 at 03:00 EDT. Several skipped times
//     (and a tick at 03:00 itself) collapse into that one tick;
//   - a time the clock repeats fires at its first occurrence only:
//     `30 2 * * *` fires on 2026-10-25 at 02:30 CEST, not again at 02:30 CET.
//
// Their intervals are as long as the wall clock says, so they shrink or
// grow in elapsed time: a daily job's interval that contains the spring
// jump lasts 23 hours, the autumn one 25 (and `30 2 * * *` in Berlin has
// two intervals of 23.5 hours either side of its 03:00 tick). Every two
// hours (`0 */2 * * *`) ticks on the spring day at 00:00 CET, 03:00 CEST
// (the skipped 02:00) and 04:00 CEST, so one interval lasts one elapsed
// hour; on the autumn day it ticks at 02:00 CEST and then 04:00 CET, an
// interval of three elapsed hours.
//
// robfig/cron v3, which this package uses only to parse, gets both wrong:
// its Next skips `30 2 * * *` on the spring day and fires it twice on the
// autumn day, so ticks are computed here from the parsed fields.
//
// DayInterval, for runs by date, spans one local calendar day: from the
// day's first instant to the next day's, 23 or 25 hours on DST days.
package schedule
