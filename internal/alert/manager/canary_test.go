package manager_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/alert/notify/notifytest"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// canary is the value of a secret a task was given and printed.
const canary = "CANARY-91d2e-s3cr3t"

func TestCanarySecretReachesNoPayloadNorStore(t *testing.T) {
	t.Parallel()
	hook, slk := notifytest.NewReceiver(t), notifytest.NewReceiver(t, notifytest.Reply{Body: "ok"})
	pd, am := notifytest.NewReceiver(t, notifytest.Reply{Status: 202}), notifytest.NewReceiver(t)
	p := project(hook.URL, pd.URL, spec.Grouping{}, spec.Route{Name: "oncall", Channels: []string{"hook", "pd", "slack", "am"}})
	p.Alerts.Channels = append(p.Alerts.Channels,
		spec.Channel{Name: "slack", Type: "slack", URLSecret: "slack_url"},
		spec.Channel{Name: "am", Type: "alertmanager", URL: am.URL})
	pl := pipeline("orders", "oncall")
	pl.Tasks[1].Env = []spec.EnvVar{{Name: "PGPASSWORD", Secret: "db_password"}}
	h := newHarness(t, p, manager.Target{Pipeline: pl, Env: "prod"})
	h.secrets["db_password"] = canary
	h.secrets["slack_url"] = slk.URL + "/services/T0/B0/xyz"

	log := filepath.Join(t.TempDir(), "load.1.log")
	if err := os.WriteFile(log, []byte("connecting as loader\npsql: password "+canary+" rejected\nFATAL: auth failed for "+canary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fail := att{task: "load", state: record.TaskFailed, err: "exit status 2: password " + canary, logPath: log}
	h.run("orders", "prod", record.RunFailed, t0, t0.Add(time.Minute), fail)
	h.at(time.Minute)
	h.at(2 * time.Minute)
	h.run("orders", "prod", record.RunSucceeded, t0.Add(time.Hour), t0.Add(time.Hour+time.Minute), att{task: "load", state: record.TaskSucceeded})
	h.at(time.Hour + 2*time.Minute)
	h.at(time.Hour + 10*time.Minute)

	for name, rcv := range map[string]*notifytest.Receiver{"webhook": hook, "slack": slk, "pagerduty": pd, "alertmanager": am} {
		reqs := rcv.Requests()
		if len(reqs) < 2 {
			t.Errorf("%s got %d requests, want firing and resolved", name, len(reqs))
		}
		var b bytes.Buffer
		for _, r := range reqs {
			fmt.Fprintf(&b, "%s %s %v\n%s\n", r.Method, r.Path, r.Header, r.Body)
		}
		if bytes.Contains(b.Bytes(), []byte(canary)) {
			t.Errorf("%s received the canary:\n%s", name, b.String())
		}
		if name != "pagerduty" && !bytes.Contains(b.Bytes(), []byte("redacted")) {
			t.Errorf("%s got no redacted text; did the details arrive?\n%s", name, b.String())
		}
	}
	as, err := h.st.ListAlerts(t.Context(), store.AlertFilter{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	ds := h.deliveries()
	dump := fmt.Sprintf("%+v %+v", as, ds)
	if strings.Contains(dump, canary) {
		t.Errorf("the store holds the canary: %s", dump)
	}
	if !strings.Contains(dump, "auth failed for <redacted>") {
		t.Errorf("the log tail did not make it into the alert: %s", dump)
	}
}
