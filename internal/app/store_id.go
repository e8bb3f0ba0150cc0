package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// StoreIDFile is where, relative to the project folder, Gantry records the
// id of each store the project has used, and where that store was. A store
// that is missing, or is another store, where this file says the project's
// store was is refused: it was removed or replaced, and going on would
// start an empty history (and a new admin token) without a word. Removing
// the file is how to start afresh on purpose.
const StoreIDFile = ".gantry/store-id"

// storeIdentity is what a driver knows of its store's identity.
type storeIdentity interface {
	StoreID(ctx context.Context) (string, error)
}

var (
	_ storeIdentity = (*storesqlite.Store)(nil)
	_ storeIdentity = (*storepg.Store)(nil)
)

// OpenProjectStore opens the store at url for the project in dir, as
// OpenStore does, after making sure it is the store the project had there
// (see StoreIDFile). A new store is recorded in StoreIDFile.
func OpenProjectStore(ctx context.Context, dir, url string) (store.Store, error) {
	if err := checkStoreExists(dir, url); err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := bindStoreID(ctx, dir, url, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// checkStoreExists refuses a SQLite store file that is missing where the
// project's StoreIDFile says it had one, before anything creates it.
func checkStoreExists(dir, url string) error {
	if isPostgres(url) {
		return nil
	}
	if _, err := os.Stat(sqlitePath(url)); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	ids, err := readStoreIDs(dir)
	if err != nil {
		return err
	}
	loc := storeLocation(dir, url)
	if id, ok := ids[loc]; ok {
		return fmt.Errorf("store %s is missing, but this project had a store there (id %s in %s): it was removed or moved, and starting would begin an empty history with a new admin token. Restore the file, or point --store at where it is now; to start a new, empty store on purpose, remove %s",
			sqlitePath(url), id, StoreIDFile, filepath.Join(dir, StoreIDFile))
	}
	return nil
}

// bindStoreID checks st against the id the project recorded for its
// location, and records its id when there is none.
func bindStoreID(ctx context.Context, dir, url string, st store.Store) error {
	si, ok := st.(storeIdentity)
	if !ok {
		return nil
	}
	id, err := si.StoreID(ctx)
	if err != nil {
		return fmt.Errorf("read the store's id: %w", err)
	}
	ids, err := readStoreIDs(dir)
	if err != nil {
		return err
	}
	loc := storeLocation(dir, url)
	switch want, known := ids[loc]; {
	case known && want == id:
		return nil
	case known:
		return fmt.Errorf("store %s is not the store this project had there: it has id %s, %s says %s (the store was replaced, and its history is elsewhere). Restore the original store; to use this one from now on, remove %s",
			Redact(url), id, StoreIDFile, want, filepath.Join(dir, StoreIDFile))
	}
	ids[loc] = id
	return writeStoreIDs(dir, ids)
}

// StoreLocation names where the store at url is, as StoreIDFile and a
// server's address file do: a SQLite file (relative to the project folder
// dir when inside it), or a PostgreSQL database and schema without the
// credentials. Two URLs naming the same store have the same location.
func StoreLocation(dir, url string) string { return storeLocation(dir, url) }

// storeLocation names where the store at url is, for StoreIDFile: a SQLite
// file resolved (relative to the project when inside it, so the project
// folder may move), or a PostgreSQL database and schema without the
// credentials.
func storeLocation(dir, url string) string {
	if isPostgres(url) {
		u, err := neturl.Parse(url)
		if err != nil {
			return "postgres"
		}
		q := neturl.Values{}
		if sp := u.Query().Get("search_path"); sp != "" {
			q.Set("search_path", sp)
		}
		return (&neturl.URL{Scheme: "postgres", Host: u.Host, Path: u.Path, RawQuery: q.Encode()}).String()
	}
	file := storesqlite.Resolve(sqlitePath(url))
	if rel, err := filepath.Rel(storesqlite.Resolve(dir), file); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return file
}

// readStoreIDs reads StoreIDFile as location → id; a missing file is none.
func readStoreIDs(dir string) (map[string]string, error) {
	ids := map[string]string{}
	data, err := os.ReadFile(filepath.Join(dir, StoreIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", StoreIDFile, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, loc, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("%s: line %q: want an id and a location", StoreIDFile, line)
		}
		ids[strings.TrimSpace(loc)] = id
	}
	return ids, nil
}

func writeStoreIDs(dir string, ids map[string]string) error {
	var b strings.Builder
	b.WriteString("# The stores this project has used: id, then where. Gantry refuses a store\n")
	b.WriteString("# missing or replaced where one is listed; remove this file to start afresh.\n")
	for _, loc := range slices.Sorted(maps.Keys(ids)) {
		fmt.Fprintf(&b, "%s %s\n", ids[loc], loc)
	}
	path := filepath.Join(dir, StoreIDFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", StoreIDFile, err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", StoreIDFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", StoreIDFile, err)
	}
	return nil
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// sqlitePath is the file of a SQLite store URL, without sqlite:// or
// ?options.
func sqlitePath(url string) string {
	path := strings.TrimPrefix(url, "sqlite://")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path
}
