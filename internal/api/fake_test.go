package api_test

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

var errNotFaked = errors.New("fake: not set")

// fakeService is an api.Service whose methods call the XxxFunc fields,
// recording each call's name; an unset field answers errNotFaked.
type fakeService struct {
	PipelinesFunc       func(ctx context.Context) ([]api.Pipeline, error)
	ListRunsFunc        func(ctx context.Context, f store.RunFilter) ([]record.Run, error)
	GetRunFunc          func(ctx context.Context, id int64) (record.Run, []record.RunTask, error)
	ListAttemptsFunc    func(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	TriggerFunc         func(ctx context.Context, req api.TriggerRequest) (record.Run, error)
	RollbackReleaseFunc func(ctx context.Context, req api.ReleaseRollbackRequest) (record.Run, error)
	CancelFunc          func(ctx context.Context, runID int64, actor string) (record.Run, error)
	BackfillFunc        func(ctx context.Context, req api.BackfillRequest) (api.BackfillStatus, error)
	GetBackfillFunc     func(ctx context.Context, id int64) (api.BackfillStatus, error)
	CancelBackfillFunc  func(ctx context.Context, id int64, actor string) (api.BackfillStatus, error)
	ListDeadLettersFunc func(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error)
	GetDeadLetterFunc   func(ctx context.Context, id int64) (record.DeadLetter, error)
	ReplayFunc          func(ctx context.Context, id int64, actor string, force bool) (record.Run, error)
	SetPausedFunc       func(ctx context.Context, pipeline string, paused bool, actor string) error
	ReloadFunc          func(ctx context.Context) (api.ReloadResult, error)
	ReadyFunc           func(ctx context.Context) error

	mu    sync.Mutex
	calls []string
}

var _ api.Service = (*fakeService)(nil)

func (f *fakeService) record(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

// called reports whether the method name was called.
func (f *fakeService) called(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.calls, name)
}

// mutators are the Service methods that change something.
var mutators = []string{"Trigger", "Cancel", "Backfill", "CancelBackfill", "Replay", "SetPaused", "Reload"}

func (f *fakeService) mutated() []string {
	var out []string
	for _, m := range mutators {
		if f.called(m) {
			out = append(out, m)
		}
	}
	return out
}

func (f *fakeService) Pipelines(ctx context.Context) ([]api.Pipeline, error) {
	f.record("Pipelines")
	if f.PipelinesFunc == nil {
		return nil, errNotFaked
	}
	return f.PipelinesFunc(ctx)
}

func (f *fakeService) ListRuns(ctx context.Context, fl store.RunFilter) ([]record.Run, error) {
	f.record("ListRuns")
	if f.ListRunsFunc == nil {
		return nil, errNotFaked
	}
	return f.ListRunsFunc(ctx, fl)
}

func (f *fakeService) GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error) {
	f.record("GetRun")
	if f.GetRunFunc == nil {
		return record.Run{}, nil, errNotFaked
	}
	return f.GetRunFunc(ctx, id)
}

func (f *fakeService) ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error) {
	f.record("ListAttempts")
	if f.ListAttemptsFunc == nil {
		return nil, errNotFaked
	}
	return f.ListAttemptsFunc(ctx, runID, task)
}

func (f *fakeService) RollbackRelease(ctx context.Context, req api.ReleaseRollbackRequest) (record.Run, error) {
	f.record("RollbackRelease")
	if f.RollbackReleaseFunc == nil {
		return record.Run{}, errNotFaked
	}
	return f.RollbackReleaseFunc(ctx, req)
}

func (f *fakeService) Trigger(ctx context.Context, req api.TriggerRequest) (record.Run, error) {
	f.record("Trigger")
	if f.TriggerFunc == nil {
		return record.Run{}, errNotFaked
	}
	return f.TriggerFunc(ctx, req)
}

func (f *fakeService) Cancel(ctx context.Context, runID int64, actor string) (record.Run, error) {
	f.record("Cancel")
	if f.CancelFunc == nil {
		return record.Run{}, errNotFaked
	}
	return f.CancelFunc(ctx, runID, actor)
}

func (f *fakeService) Backfill(ctx context.Context, req api.BackfillRequest) (api.BackfillStatus, error) {
	f.record("Backfill")
	if f.BackfillFunc == nil {
		return api.BackfillStatus{}, errNotFaked
	}
	return f.BackfillFunc(ctx, req)
}

func (f *fakeService) GetBackfill(ctx context.Context, id int64) (api.BackfillStatus, error) {
	f.record("GetBackfill")
	if f.GetBackfillFunc == nil {
		return api.BackfillStatus{}, errNotFaked
	}
	return f.GetBackfillFunc(ctx, id)
}

func (f *fakeService) CancelBackfill(ctx context.Context, id int64, actor string) (api.BackfillStatus, error) {
	f.record("CancelBackfill")
	if f.CancelBackfillFunc == nil {
		return api.BackfillStatus{}, errNotFaked
	}
	return f.CancelBackfillFunc(ctx, id, actor)
}

func (f *fakeService) ListDeadLetters(ctx context.Context, fl store.DeadLetterFilter) ([]record.DeadLetter, error) {
	f.record("ListDeadLetters")
	if f.ListDeadLettersFunc == nil {
		return nil, errNotFaked
	}
	return f.ListDeadLettersFunc(ctx, fl)
}

func (f *fakeService) GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error) {
	f.record("GetDeadLetter")
	if f.GetDeadLetterFunc == nil {
		return record.DeadLetter{}, errNotFaked
	}
	return f.GetDeadLetterFunc(ctx, id)
}

func (f *fakeService) Replay(ctx context.Context, id int64, actor string, force bool) (record.Run, error) {
	f.record("Replay")
	if f.ReplayFunc == nil {
		return record.Run{}, errNotFaked
	}
	return f.ReplayFunc(ctx, id, actor, force)
}

func (f *fakeService) SetPaused(ctx context.Context, pipeline string, paused bool, actor string) error {
	f.record("SetPaused")
	if f.SetPausedFunc == nil {
		return errNotFaked
	}
	return f.SetPausedFunc(ctx, pipeline, paused, actor)
}

func (f *fakeService) Reload(ctx context.Context) (api.ReloadResult, error) {
	f.record("Reload")
	if f.ReloadFunc == nil {
		return api.ReloadResult{}, errNotFaked
	}
	return f.ReloadFunc(ctx)
}

func (f *fakeService) Ready(ctx context.Context) error {
	f.record("Ready")
	if f.ReadyFunc == nil {
		return nil
	}
	return f.ReadyFunc(ctx)
}
