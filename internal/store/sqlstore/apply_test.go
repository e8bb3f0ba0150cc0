package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// plain is a dialect for what needs no database.
type plain struct{}

func (plain) NumberedPlaceholders() bool                     { return false }
func (plain) Prepare() bool                                  { return false }
func (plain) MapErr(err error) error                         { return err }
func (plain) FencedTx() string                               { return "" }
func (plain) LastInsertID() bool                             { return false }
func (plain) ForUpdate() string                              { return "" }
func (plain) IndexHint(string) string                        { return "" }
func (plain) SkipLocked() string                             { return "" }
func (plain) LabelsWithin(string) string                     { return "1 = 1" }
func (plain) Notify(string) string                           { return "" }
func (plain) LockKey(context.Context, *sql.Tx, string) error { return nil }
func (plain) TimeArg(t time.Time) any                        { return t }

func TestApplyWith(t *testing.T) {
	s := New(NewDB(nil, nil, plain{}))
	ctx := context.Background()
	batch := func() *store.Batch {
		return &store.Batch{
			Replayed:    &store.Replayed{DeadLetter: 9, By: "bob"},
			Run:         &record.Run{ID: 1, State: record.RunRunning},
			Tasks:       []record.RunTask{{RunID: 1, Task: "a"}, {RunID: 1, Task: "b"}},
			Insert:      []*record.TaskAttempt{{RunID: 1, Task: "a", Attempt: 2}},
			Update:      []*record.TaskAttempt{{ID: 5, RunID: 1, Task: "a", Attempt: 1}},
			DeadLetters: []*record.DeadLetter{{RunID: 1, Task: "b"}},
			Audit:       []*record.AuditEvent{nil, {Actor: "bob", Action: "replay"}},
		}
	}

	if err := s.ApplyWith(ctx, &store.Batch{}, func(context.Context, *Plan) error {
		t.Error("an empty batch was committed")
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	b := batch()
	var sqls []string
	err := s.ApplyWith(ctx, b, func(_ context.Context, p *Plan) error {
		if p.Replay == nil || p.Replay.SQL != MarkReplayedSQL || p.Replay.ReplayedID() != 9 {
			t.Errorf("replay step %+v", p.Replay)
		}
		for i, st := range p.Steps {
			sqls = append(sqls, st.SQL)
			if st.ID != nil {
				*st.ID = int64(100 + i)
			}
		}
		if b.Insert[0].ID != 0 || b.Audit[1].ID != 0 {
			t.Error("IDs set before the commit")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{UpdateRunSQL, UpdateRunTaskSQL, UpdateRunTaskSQL, InsertAttemptSQL,
		UpdateAttemptSQL, InsertDeadLetterSQL, InsertAuditSQL}
	if !slices.Equal(sqls, want) {
		t.Errorf("steps:\n%q\nwant\n%q", sqls, want)
	}
	if b.Insert[0].ID != 103 || b.DeadLetters[0].ID != 105 || b.DeadLetters[0].CreatedAt.IsZero() {
		t.Errorf("after the commit: attempt %d, dead letter %d at %v", b.Insert[0].ID,
			b.DeadLetters[0].ID, b.DeadLetters[0].CreatedAt)
	}
	if ev := b.Audit[1]; ev.ID != 106 || ev.Time.IsZero() || ev.Actor != "bob" || b.Audit[0] != nil {
		t.Errorf("audit events after the commit: %v %+v", b.Audit[0], ev)
	}

	// A failed step names its record, and nothing is handed out.
	b = batch()
	err = s.ApplyWith(ctx, b, func(_ context.Context, p *Plan) error {
		*p.Steps[3].ID = 7
		return p.Steps[2].Err(store.ErrNotFound)
	})
	if !errors.Is(err, store.ErrNotFound) || err.Error() != "apply: update task 1/b: not found" {
		t.Errorf("failed commit: %v", err)
	}
	if b.Insert[0].ID != 0 || b.DeadLetters[0].CreatedAt != (time.Time{}) || b.Audit[1].Time != (time.Time{}) {
		t.Errorf("a failed commit handed out %+v %+v %+v", b.Insert[0], b.DeadLetters[0], b.Audit[1])
	}
}

func TestStepErr(t *testing.T) {
	s := New(NewDB(nil, nil, plain{}))
	p, err := s.Plan(&store.Batch{
		Replayed:    &store.Replayed{DeadLetter: 9},
		Run:         &record.Run{ID: 1},
		Insert:      []*record.TaskAttempt{{RunID: 1, Task: "a", Attempt: 2}},
		Update:      []*record.TaskAttempt{{ID: 5}},
		DeadLetters: []*record.DeadLetter{{RunID: 1, Task: "b"}},
		Audit:       []*record.AuditEvent{{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	got := []string{p.Replay.Err(NotReplayed(nil)).Error()}
	for _, st := range p.Steps {
		got = append(got, st.Err(boom).Error())
	}
	want := []string{"mark dead letter 9 replayed: conflict: already replayed",
		"update run 1: boom", "insert attempt 1/a#2: boom", "update attempt 5: boom",
		"insert dead letter 1/b: boom", "append audit event: boom"}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%q\nwant\n%q", got, want)
	}
	if p.Steps[0].Err(nil) != nil {
		t.Error("Err(nil) is not nil")
	}
}
func (plain) Bytewise() string { return "" }
