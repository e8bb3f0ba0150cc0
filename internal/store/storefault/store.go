package storefault

import (
	"context"
	"sync"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Rule decides whether the n-th write (counted from 1 across Apply and
// CreateRun) fails, and with what; nil lets it through.
type Rule func(n int, op string, b *store.Batch) error

// Store is a real store whose Apply and CreateRun fail as its rule says.
type Store struct {
	store.Store
	mu     sync.Mutex
	rule   Rule
	writes int
	failed int
}

var _ store.Store = (*Store)(nil)

// New wraps s; writes pass until SetRule is called.
func New(s store.Store) *Store { return &Store{Store: s} }

// SetRule replaces the rule; nil lets every write through.
func (s *Store) SetRule(r Rule) {
	s.mu.Lock()
	s.rule = r
	s.mu.Unlock()
}

// Writes counts the writes seen so far, failed ones included.
func (s *Store) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Failed counts the writes the rule failed.
func (s *Store) Failed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

func (s *Store) check(op string, b *store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.rule == nil {
		return nil
	}
	err := s.rule(s.writes, op, b)
	if err != nil {
		s.failed++
	}
	return err
}

// Apply fails as the rule says, or commits b to the real store.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	if err := s.check("apply", b); err != nil {
		return err
	}
	return s.Store.Apply(ctx, b)
}

// CreateRun fails as the rule says, or creates the run in the real store.
func (s *Store) CreateRun(ctx context.Context, r *record.Run, tasks []string) error {
	if err := s.check("create_run", nil); err != nil {
		return err
	}
	return s.Store.CreateRun(ctx, r, tasks)
}
