package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/record"
)

// runningSource has one run whose one attempt is running (or not), its
// log in a file.
type runningSource struct {
	source
	log   string
	state record.TaskState
}

func (s runningSource) ListAttempts(context.Context, int64, string) ([]record.TaskAttempt, error) {
	return []record.TaskAttempt{{ID: 5, RunID: 7, Task: "load", Attempt: 1, State: s.state, LogPath: s.log}}, nil
}

// The live tail reads a running attempt's log from where it got to, as
// text, and says when the attempt has ended.
func TestLiveTail(t *testing.T) {
	t.Parallel()
	logFile := filepath.Join(t.TempDir(), "load.log")
	if err := os.WriteFile(logFile, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := &runningSource{log: logFile, state: record.TaskRunning}
	mux := http.NewServeMux()
	Register(mux, Options{Source: src, Auth: tokens{"v": "viewer"}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: "v"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	_, page := get("/runs/7/attempts/5/log")
	if !strings.Contains(page, `data-tail="/runs/7/attempts/5/log.txt" data-offset="4"`) || !strings.Contains(page, `id="live"`) {
		t.Fatalf("a running attempt's log page does not tail from its end:\n%s", page)
	}
	f, err := os.OpenFile(logFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("<two>\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	resp, text := get("/runs/7/attempts/5/log.txt?offset=4")
	if text != "<two>\n" || resp.Header.Get("X-Log-Offset") != "10" || resp.Header.Get("X-Log-Done") != "" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("tail from 4: %q, offset %q, done %q, type %q", text, resp.Header.Get("X-Log-Offset"),
			resp.Header.Get("X-Log-Done"), resp.Header.Get("Content-Type"))
	}
	src.state = record.TaskSucceeded
	resp, text = get("/runs/7/attempts/5/log.txt?offset=10")
	if text != "" || resp.Header.Get("X-Log-Done") != "1" {
		t.Errorf("after the end: %q, done %q", text, resp.Header.Get("X-Log-Done"))
	}
	if _, page := get("/runs/7/attempts/5/log"); strings.Contains(page, "data-tail") {
		t.Error("an ended attempt's log page still tails")
	}
}

// A backfill's dry run shows its intervals and the button that starts it.
func TestBackfillPreview(t *testing.T) {
	t.Parallel()
	fa := &fakeAPI{status: 200, body: `{"backfill":{"id":0,"pipeline":"orders","total":2},"intervals":[` +
		`{"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"},{"start":"2026-01-02T00:00:00Z","end":"2026-01-03T00:00:00Z"}]}`}
	mux := http.NewServeMux()
	Register(mux, Options{Source: source{}, Auth: tokens{"op": "operator"}, API: fa})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	form := url.Values{"csrf": {csrfFor("op")}, "from": {"2026-01-01"}, "to": {"2026-01-02"}, "dry_run": {"1"}}
	req, _ := http.NewRequest("POST", srv.URL+"/pipelines/orders/backfill", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: cookieName, Value: "op"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "2 run(s) would be created") ||
		!strings.Contains(string(body), `<button id="backfill">Start this backfill</button>`) {
		t.Errorf("preview: %d\n%s", resp.StatusCode, body)
	}
	if len(fa.calls) != 1 || !strings.Contains(fa.calls[0].body, `"dry_run":true`) || fa.calls[0].path != "/api/v1/backfills" {
		t.Errorf("the API got %+v", fa.calls)
	}
}
