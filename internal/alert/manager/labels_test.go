package manager

import "testing"

func TestFingerprintIsStable(t *testing.T) {
	t.Parallel()
	a := map[string]string{"alertname": "RunFailed", "pipeline": "orders", "env": "prod", "owner": "x", "severity": "critical"}
	b := map[string]string{"alertname": "RunFailed", "pipeline": "orders", "env": "prod", "owner": "y", "severity": "warning", "route": "r"}
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("owner, severity or route changed the fingerprint")
	}
	if Fingerprint(a) != "" && Fingerprint(a) == Fingerprint(map[string]string{"alertname": "RunFailed", "pipeline": "orders", "env": "staging"}) {
		t.Error("env did not change the fingerprint")
	}
}

func TestParseMatcher(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"env=prod": "env|=|prod", "env!=prod": "env|!=|prod", `pipeline=~"ord.*"`: "pipeline|=~|ord.*", "a!~b": "a|!~|b",
	} {
		m, err := ParseMatcher(in)
		if err != nil || m.Name+"|"+m.Op+"|"+m.Value != want {
			t.Errorf("ParseMatcher(%q) = %+v, %v; want %s", in, m, err, want)
		}
	}
	for _, bad := range []string{"env", "=prod", "x=~("} {
		if _, err := ParseMatcher(bad); err == nil {
			t.Errorf("ParseMatcher(%q) accepted", bad)
		}
	}
	ss := compileSilences(nil)
	if ss.silencedBy(map[string]string{"a": "b"}) != 0 {
		t.Error("no silences muted an alert")
	}
}
