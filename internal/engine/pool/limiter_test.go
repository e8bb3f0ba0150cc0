package pool

import (
	"slices"
	"testing"
)

func isGranted(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func usage(t *testing.T, l *Limiter, name string) Usage {
	t.Helper()
	for _, u := range l.Usage() {
		if u.Pool == name {
			return u
		}
	}
	t.Fatalf("pool %q not in %+v", name, l.Usage())
	return Usage{}
}

func TestLimiterGrantsUpToSlotsThenFirstComeFirstServed(t *testing.T) {
	l := New(map[string]int{"warehouse": 2})
	var grants []<-chan struct{}
	var releases []func()
	for range 5 {
		g, r := l.Wait("warehouse")
		grants, releases = append(grants, g), append(releases, r)
	}
	got := func() []bool {
		var out []bool
		for _, g := range grants {
			out = append(out, isGranted(g))
		}
		return out
	}
	if want := []bool{true, true, false, false, false}; !slices.Equal(got(), want) {
		t.Fatalf("granted %v, want %v", got(), want)
	}
	if u := usage(t, l, "warehouse"); u != (Usage{Pool: "warehouse", Slots: 2, InUse: 2, Waiting: 3}) {
		t.Fatalf("usage %+v", u)
	}
	releases[1]()
	releases[1]() // a second release gives nothing back twice
	if want := []bool{true, true, true, false, false}; !slices.Equal(got(), want) {
		t.Fatalf("after one release granted %v, want the third (first in line) too", got())
	}
	if u := usage(t, l, "warehouse"); u.InUse != 2 || u.Waiting != 2 {
		t.Fatalf("usage after a double release %+v, want 2 in use, 2 waiting", u)
	}
	// The fourth leaves the line; the fifth is next.
	releases[3]()
	releases[0]()
	if !isGranted(grants[4]) || isGranted(grants[3]) {
		t.Fatalf("granted %v: the fifth should have the slot, the fourth left the line", got())
	}
	if u := usage(t, l, "warehouse"); u.InUse != 2 || u.Waiting != 0 {
		t.Fatalf("usage %+v, want 2 in use, none waiting", u)
	}
}

func TestLimiterPoolsAreSeparate(t *testing.T) {
	l := New(map[string]int{"a": 1, "b": 1})
	ga, _ := l.Wait("a")
	gb, _ := l.Wait("b")
	if !isGranted(ga) || !isGranted(gb) {
		t.Fatal("one slot in each of two pools should be granted")
	}
	ga2, _ := l.Wait("a")
	if isGranted(ga2) {
		t.Fatal("a second task of a 1-slot pool was granted")
	}
}

func TestLimiterSetSlots(t *testing.T) {
	l := New(map[string]int{"p": 1})
	_, r1 := l.Wait("p")
	g2, r2 := l.Wait("p")
	g3, _ := l.Wait("p")
	l.SetSlots(map[string]int{"p": 2})
	if !isGranted(g2) || isGranted(g3) {
		t.Fatal("growing to 2 slots should grant exactly the next in line")
	}
	l.SetSlots(map[string]int{"p": 1})
	r1()
	if isGranted(g3) {
		t.Fatal("shrunk to 1 slot with 1 still in use: nothing may be granted")
	}
	r2()
	if !isGranted(g3) {
		t.Fatal("with the pool empty the waiting task should get its slot")
	}
	// A pool dropped from gantry.yaml keeps one slot.
	l.SetSlots(nil)
	if u := usage(t, l, "p"); u.Slots != DefaultSlots {
		t.Fatalf("dropped pool %+v, want %d slot", u, DefaultSlots)
	}
}

func TestLimiterUnknownPoolHasDefaultSlots(t *testing.T) {
	l := New(nil)
	g1, _ := l.Wait("other")
	g2, _ := l.Wait("other")
	if !isGranted(g1) || isGranted(g2) {
		t.Fatalf("an undeclared pool should have %d slot", DefaultSlots)
	}
}

func TestLimiterUsageListsDeclaredPools(t *testing.T) {
	l := New(map[string]int{"b": 3, "a": 1})
	want := []Usage{{Pool: "a", Slots: 1}, {Pool: "b", Slots: 3}}
	if got := l.Usage(); !slices.Equal(got, want) {
		t.Fatalf("usage %+v, want %+v", got, want)
	}
}
