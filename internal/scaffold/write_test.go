package scaffold

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A write that fails part-way removes the files and folders it made and
// keeps what was there before. Not parallel: it swaps openFile.
func TestWriteUndoesAFailedWrite(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "new", "project")
	n := 0
	openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if n++; n == 4 {
			return nil, errors.New("disk full")
		}
		return os.OpenFile(name, flag, perm)
	}
	t.Cleanup(func() { openFile = os.OpenFile })
	_, err := Write(dir, Options{Template: TemplateData, Name: "orders", Owner: "me"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Write = %v, want the write error", err)
	}
	if n != 4 {
		t.Fatalf("openFile called %d times, want the failure on the 4th", n)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after a failed write the folder holds %v, want only notes.txt", names)
	}
}
