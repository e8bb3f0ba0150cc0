package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
)

// ErrTampered is a revision folder whose files are no longer the
// revision's: one was changed, added or removed since it was written.
var ErrTampered = errors.New("revision folder tampered with")

// ScratchDir is the folder inside a sealed revision folder that stays
// writable: Gantry's own state folder, never part of a revision, where
// tasks may keep what they make (build output, local deploy targets).
const ScratchDir = ".gantry"

// Seal makes the revision folder dir read-only: files 0444 (0555 when
// executable), folders 0555, except ScratchDir, which it creates
// writable.
func Seal(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, ScratchDir), 0o755); err != nil {
		return fmt.Errorf("seal %s: %w", dir, err)
	}
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == filepath.Join(dir, ScratchDir) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := os.FileMode(0o444)
		if info.Mode()&0o111 != 0 {
			mode = 0o555
		}
		return os.Chmod(p, mode)
	})
	// Folders last, deepest first, so that the walk could read them.
	for i := len(dirs) - 1; err == nil && i >= 0; i-- {
		err = os.Chmod(dirs[i], 0o555)
	}
	if err != nil {
		return fmt.Errorf("seal %s: %w", dir, err)
	}
	return nil
}

// RemoveAll removes dir like os.RemoveAll, a sealed revision folder too:
// it makes its folders writable again first.
func RemoveAll(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// VerifyDir checks that the revision folder dir holds rev's files, context
// included, and nothing else (ScratchDir aside), and that their content
// hashes to rev.Hash. Otherwise the error wraps ErrTampered and names what
// differs.
func VerifyDir(dir string, rev record.Revision) error {
	want := map[string]record.RevisionFile{}
	for _, f := range rev.Files {
		want[f.Path] = f
	}
	content := map[string][]byte{}
	var problems []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ScratchDir && d.IsDir():
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			problems = append(problems, rel+" is not a regular file")
			return nil
		}
		f, ok := want[rel]
		if !ok {
			problems = append(problems, rel+" was added")
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			problems = append(problems, rel+" was changed")
		}
		if !f.Context {
			content[rel] = data
		}
		delete(want, rel)
		return nil
	})
	if err != nil {
		return fmt.Errorf("verify revision %s in %s: %w", Short(rev.Hash), dir, err)
	}
	for p := range want {
		problems = append(problems, p+" was removed")
	}
	if len(problems) == 0 && Hash(content) != rev.Hash {
		problems = append(problems, "its content hashes to "+Short(Hash(content)))
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	if len(problems) > 5 {
		problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
	}
	return fmt.Errorf("%w: revision %s in %s: %s", ErrTampered, Short(rev.Hash), dir, strings.Join(problems, "; "))
}

// Verify checks the folder dir against revision hash; see VerifyDir.
func (s *Service) Verify(ctx context.Context, hash, dir string) error {
	rev, err := s.st.GetRevision(ctx, hash)
	if err != nil {
		return fmt.Errorf("revision %s: %w", Short(hash), err)
	}
	return VerifyDir(dir, rev)
}
