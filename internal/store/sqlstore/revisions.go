package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	revisionColumns = `id, hash, pipeline, created_by, created_at, message, check_summary,
		staging_run_id, staging_state`

	insertRevisionSQL = `INSERT INTO revisions (hash, pipeline, created_by, created_at, message,
		check_summary, staging_run_id, staging_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hash) DO NOTHING RETURNING id`
	getRevisionSQL     = `SELECT ` + revisionColumns + ` FROM revisions WHERE hash = ?`
	revisionContentSQL = `SELECT f.path, b.content FROM revisions r
		JOIN revision_files f ON f.revision_id = r.id
		JOIN revision_blobs b ON b.sha256 = f.sha256 WHERE r.hash = ?`
	insertBlobSQL = `INSERT INTO revision_blobs (sha256, content) VALUES (?, ?)
		ON CONFLICT (sha256) DO NOTHING`
	insertRevisionFileSQL = `INSERT INTO revision_files (revision_id, path, size, sha256, context)
		VALUES (?, ?, ?, ?, ?)`
)

// CreateRevision stores rev and its files' bytes unless its hash is stored.
func (s *Store) CreateRevision(ctx context.Context, rev record.Revision, content map[string][]byte) (created bool, err error) {
	if rev.CreatedAt.IsZero() {
		rev.CreatedAt = Now()
	}
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		// No row back: the hash is stored already. Read as rows, not a row,
		// so a missing row is not confused with a missing staging run.
		rows, err := tx.Query(insertRevisionSQL, rev.Hash, rev.Pipeline, rev.CreatedBy,
			s.t(rev.CreatedAt), rev.Message, rev.CheckSummary, IDArg(rev.StagingRunID),
			string(rev.StagingState))
		ids, err := Collect(rows, err, scanInt64)
		if err != nil || len(ids) == 0 {
			return err
		}
		created = true
		for _, f := range rev.Files {
			if err := insertRevisionFile(tx, ids[0], f, content); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("create revision %s: %w", rev.Hash, err)
	}
	return created, nil
}

func insertRevisionFile(tx *Tx, revID int64, f record.RevisionFile, content map[string][]byte) error {
	data, ok := content[f.Path]
	if !ok {
		return fmt.Errorf("no content for %s", f.Path)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Size {
		return fmt.Errorf("content of %s does not match its size and sha256", f.Path)
	}
	if _, err := tx.Exec(insertBlobSQL, f.SHA256, data); err != nil {
		return err
	}
	_, err := tx.Exec(insertRevisionFileSQL, revID, f.Path, f.Size, f.SHA256, f.Context)
	return err
}

// GetRevision returns the revision with that hash, or store.ErrNotFound.
func (s *Store) GetRevision(ctx context.Context, hash string) (record.Revision, error) {
	revs, err := s.queryRevisions(ctx, getRevisionSQL, hash)
	if err == nil && len(revs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return record.Revision{}, fmt.Errorf("get revision %s: %w", hash, err)
	}
	return revs[0], nil
}

// ListRevisions returns a pipeline's revisions newest first.
func (s *Store) ListRevisions(ctx context.Context, pipeline string, n int) ([]record.Revision, error) {
	var w Where
	w.Add("pipeline = ?", pipeline)
	q, args := w.Query("SELECT "+revisionColumns+" FROM revisions", "id DESC", n)
	revs, err := s.queryRevisions(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list revisions of %s: %w", pipeline, err)
	}
	return revs, nil
}

// queryRevisions runs q and loads the files of each revision it returns.
func (s *Store) queryRevisions(ctx context.Context, q string, args ...any) ([]record.Revision, error) {
	type withID struct {
		id  int64
		rev record.Revision
	}
	rows, err := s.db.Query(ctx, q, args...)
	got, err := Collect(rows, err, func(sc Scanner) (withID, error) {
		var w withID
		var created Time
		var stagingRun ID
		var staging string
		err := sc.Scan(&w.id, &w.rev.Hash, &w.rev.Pipeline, &w.rev.CreatedBy, &created,
			&w.rev.Message, &w.rev.CheckSummary, &stagingRun, &staging)
		w.rev.CreatedAt, w.rev.StagingRunID = created.T, stagingRun.N
		w.rev.StagingState = record.RunState(staging)
		return w, err
	})
	if err != nil {
		return nil, s.db.d.MapErr(err)
	}
	revs := make([]record.Revision, len(got))
	for i, w := range got {
		if w.rev.Files, err = s.revisionFiles(ctx, w.id); err != nil {
			return nil, err
		}
		revs[i] = w.rev
	}
	return revs, nil
}

// revisionFiles returns a revision's files by path, bytewise as Go sorts
// strings (record.Revision.Files is sorted so).
func (s *Store) revisionFiles(ctx context.Context, revID int64) ([]record.RevisionFile, error) {
	rows, err := s.db.Query(ctx, `SELECT path, size, sha256, context FROM revision_files
		WHERE revision_id = ? ORDER BY path`+s.bytewise(), revID)
	fs, err := Collect(rows, err, func(sc Scanner) (record.RevisionFile, error) {
		var f record.RevisionFile
		err := sc.Scan(&f.Path, &f.Size, &f.SHA256, &f.Context)
		return f, err
	})
	return fs, s.db.d.MapErr(err)
}

// RevisionContent returns the bytes of every file of a revision, by path.
func (s *Store) RevisionContent(ctx context.Context, hash string) (map[string][]byte, error) {
	type file struct {
		path string
		data []byte
	}
	rows, err := s.db.Query(ctx, revisionContentSQL, hash)
	fs, err := Collect(rows, err, func(sc Scanner) (file, error) {
		var f file
		err := sc.Scan(&f.path, &f.data)
		return f, err
	})
	if err == nil && len(fs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("revision %s content: %w", hash, s.db.d.MapErr(err))
	}
	out := make(map[string][]byte, len(fs))
	for _, f := range fs {
		out[f.path] = f.data
	}
	return out, nil
}

// SetStagingRun records the latest staging run of a revision.
func (s *Store) SetStagingRun(ctx context.Context, hash string, runID int64, state record.RunState, ev *record.AuditEvent) error {
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := tx.ExecOne(`UPDATE revisions SET staging_run_id = ?, staging_state = ?
			WHERE hash = ?`, IDArg(runID), string(state), hash); err != nil {
			return err
		}
		return s.appendAudit(tx, ev)
	})
	if err != nil {
		return fmt.Errorf("set staging run of %s: %w", hash, err)
	}
	return nil
}
