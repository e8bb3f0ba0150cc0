package sqlstore

import (
	"reflect"
	"testing"
)

func TestNumber(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":              "SELECT 1",
		"a = ? AND b IN (?, ?)": "a = $1 AND b IN ($2, $3)",
		"x = '?' AND y = ? AND z = \"a?b\" OR w=?": "x = '?' AND y = $1 AND z = \"a?b\" OR w=$2",
	} {
		if got := Number(in); got != want {
			t.Errorf("Number(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWhere(t *testing.T) {
	var w Where
	q, args := w.Query("SELECT a FROM t", "id DESC", 0)
	if q != "SELECT a FROM t ORDER BY id DESC LIMIT ?" || !reflect.DeepEqual(args, []any{DefaultLimit}) {
		t.Errorf("empty: %q %v", q, args)
	}
	type state string
	w.Add("p = ?", "x")
	In(&w, "state", []state{"a", "b"})
	In(&w, "kind", []string{})
	w.Term("z IS NULL")
	q, args = w.Query("SELECT a FROM t", "", -1)
	if q != "SELECT a FROM t WHERE p = ? AND state IN (?, ?) AND z IS NULL" ||
		!reflect.DeepEqual(args, []any{"x", "a", "b"}) {
		t.Errorf("filters: %q %v", q, args)
	}
}
