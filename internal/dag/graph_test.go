package dag

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// nodes builds nodes from "id:need,need" strings.
func nodes(specs ...string) []Node {
	var out []Node
	for _, s := range specs {
		id, needs, _ := strings.Cut(s, ":")
		n := Node{ID: id}
		if needs != "" {
			n.Needs = strings.Split(needs, ",")
		}
		out = append(out, n)
	}
	return out
}

func mustNew(t *testing.T, n []Node) *Graph {
	t.Helper()
	g, err := New(n)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		nodes []Node
		want  error
	}{
		{"duplicate id", nodes("a", "b", "a"), ErrDuplicate},
		{"unknown need", nodes("a", "b:c"), ErrUnknown},
		{"self need is accepted", nodes("a:a"), nil},
		{"empty graph", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.nodes)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		nodes []Node
		want  []string
	}{
		{"empty", nil, nil},
		{"chain", nodes("a", "b:a", "c:b"), nil},
		{"diamond", nodes("a", "b:a", "c:a", "d:b,c"), nil},
		{"self", nodes("a", "b:b"), []string{"b", "b"}},
		{"two", nodes("a:b", "b:a"), []string{"a", "b", "a"}},
		// a needs c, b needs a, c needs b: work flows a → b → c → a.
		{"three", nodes("a:c", "b:a", "c:b"), []string{"a", "b", "c", "a"}},
		{"rotated to earliest node", nodes("x", "c:b", "a:c", "b:a"), []string{"c", "a", "b", "c"}},
		{"cycle behind acyclic part", nodes("start", "m:start,o", "n:m", "o:n"), []string{"m", "n", "o", "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustNew(t, tt.nodes).Cycle()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Cycle() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		nodes   []Node
		want    []string
		wantErr bool
	}{
		{"empty", nil, []string{}, false},
		{"file order when independent", nodes("c", "a", "b"), []string{"c", "a", "b"}, false},
		{"needs written later", nodes("load:transform", "transform:extract", "extract"), []string{"extract", "transform", "load"}, false},
		{"diamond keeps file order", nodes("a", "c:a", "b:a", "d:b,c"), []string{"a", "c", "b", "d"}, false},
		{"earliest ready first", nodes("z:y", "y", "x"), []string{"y", "z", "x"}, false},
		{"cycle", nodes("a:b", "b:a"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mustNew(t, tt.nodes).Order()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Order() error = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !errors.Is(err, ErrCycle) || err.Error() != "cycle: a → b → a" {
					t.Fatalf("Order() error = %q, want ErrCycle with the path", err)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Order() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReady(t *testing.T) {
	t.Parallel()
	g := mustNew(t, nodes("extract", "dims", "transform:extract,dims", "load:transform", "report:extract"))
	tests := []struct {
		name string
		done []string
		want []string
	}{
		{"nothing done", nil, []string{"extract", "dims"}},
		{"one root done", []string{"extract"}, []string{"dims", "report"}},
		{"both roots done", []string{"extract", "dims"}, []string{"transform", "report"}},
		{"all done", []string{"extract", "dims", "transform", "load", "report"}, nil},
		{"unknown ids ignored", []string{"nope"}, []string{"extract", "dims"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			done := map[string]bool{}
			for _, d := range tt.done {
				done[d] = true
			}
			if got := g.Ready(done); !slices.Equal(got, tt.want) {
				t.Fatalf("Ready(%v) = %v, want %v", tt.done, got, tt.want)
			}
		})
	}
}

func TestDownstreamUpstream(t *testing.T) {
	t.Parallel()
	g := mustNew(t, nodes("extract", "dims", "transform:extract,dims", "load:transform", "report:extract", "audit:load,report"))
	tests := []struct {
		name       string
		id         string
		downstream []string
		upstream   []string
	}{
		{"root", "extract", []string{"transform", "load", "report", "audit"}, nil},
		{"middle", "transform", []string{"load", "audit"}, []string{"extract", "dims"}},
		{"leaf", "audit", nil, []string{"extract", "dims", "transform", "load", "report"}},
		{"unknown", "nope", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := g.Downstream(tt.id); !slices.Equal(got, tt.downstream) {
				t.Errorf("Downstream(%q) = %v, want %v", tt.id, got, tt.downstream)
			}
			if got := g.Upstream(tt.id); !slices.Equal(got, tt.upstream) {
				t.Errorf("Upstream(%q) = %v, want %v", tt.id, got, tt.upstream)
			}
		})
	}
}

func TestDownstreamInCycleTerminates(t *testing.T) {
	t.Parallel()
	g := mustNew(t, nodes("a:c", "b:a", "c:b", "d:c"))
	if got, want := g.Downstream("a"), []string{"b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("Downstream(a) = %v, want %v", got, want)
	}
}

func TestAccessors(t *testing.T) {
	t.Parallel()
	g := mustNew(t, nodes("a", "b:a,a", "c:a"))
	if got := g.Needs("b"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Needs(b) = %v, want [a] (duplicates removed)", got)
	}
	if got := g.Dependents("a"); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("Dependents(a) = %v", got)
	}
	if !g.Has("c") || g.Has("z") || g.Len() != 3 {
		t.Errorf("Has/Len wrong")
	}
	n := g.Nodes()
	n[0] = "mutated"
	if g.Nodes()[0] != "a" {
		t.Errorf("Nodes() exposes internal slice")
	}
}
