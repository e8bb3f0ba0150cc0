package app

import (
	"context"
	"errors"
	"os"

	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Hold is how a local command holds its project's store.
type Hold int

const (
	// HoldNone opens the store as it is, to read it.
	HoldNone Hold = iota
	// HoldShared holds it as a foreground `gantry run` does (SharedStore).
	HoldShared
	// HoldExclusive holds it as a server or a local deploy command does
	// (ExclusiveStore).
	HoldExclusive
)

// LocalOptions name the project and store a command works on without a
// server.
type LocalOptions struct {
	ProjectDir string
	Store      string // --store; "" picks as StoreURL does
	Hold       Hold
	// MustExist refuses, with a *NoStoreError and creating nothing, the
	// embedded default store when it does not exist yet.
	MustExist bool
}

// Local is what a command working on a project's store without a server
// uses: the project's settings, its store held as asked, and where its
// logs and secrets are.
type Local struct {
	Dir      string
	Project  *spec.Project // gantry.yaml; nil when there is none
	StoreURL string
	Store    store.Store
	LogDir   string
	Secrets  func(name string) (string, error)
}

// ProjectFileError is gantry.yaml failing to load, as OpenLocal returns it.
type ProjectFileError struct{ Err error }

func (e *ProjectFileError) Error() string { return e.Err.Error() }
func (e *ProjectFileError) Unwrap() error { return e.Err }

// NoStoreError is the embedded default store missing, when
// LocalOptions.MustExist.
type NoStoreError struct{ URL string }

func (e *NoStoreError) Error() string { return e.URL + " does not exist" }

// OpenLocal loads the project in o.ProjectDir and opens its store, held as
// o.Hold says: a held store another process has is ErrStoreInUse (and
// ErrStoreInUseByRun when foreground runs have it), as OpenShared and
// OpenExclusive say. Close lets the store go.
func OpenLocal(ctx context.Context, o LocalOptions) (*Local, error) {
	project, err := LoadProjectFile(o.ProjectDir)
	if err != nil {
		return nil, &ProjectFileError{err}
	}
	l := &Local{Dir: o.ProjectDir, Project: project, StoreURL: StoreURL(o.Store, o.ProjectDir, project),
		LogDir: LogDir(o.ProjectDir), Secrets: Secrets(o.ProjectDir, project)}
	if o.MustExist && o.Store == "" && os.Getenv("GANTRY_STORE") == "" && (project == nil || project.Store == "") {
		if _, err := os.Stat(l.StoreURL); errors.Is(err, os.ErrNotExist) {
			return nil, &NoStoreError{URL: l.StoreURL}
		}
	}
	switch o.Hold {
	case HoldShared:
		l.Store, err = OpenShared(ctx, o.ProjectDir, l.StoreURL)
	case HoldExclusive:
		l.Store, err = OpenExclusive(ctx, o.ProjectDir, l.StoreURL)
	default:
		l.Store, err = OpenStore(ctx, l.StoreURL)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Close closes the store and lets it go.
func (l *Local) Close() error { return l.Store.Close() }
