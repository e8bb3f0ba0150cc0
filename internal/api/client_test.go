package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

func check[T any](t *testing.T, what string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func TestClientReadRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := populated()
	var runFilter store.RunFilter
	fake.ListRunsFunc = func(_ context.Context, f store.RunFilter) ([]record.Run, error) {
		runFilter = f
		return []record.Run{fixtureRun(8), fixtureRun(7)}, nil
	}
	var dlFilter store.DeadLetterFilter
	fake.ListDeadLettersFunc = func(_ context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
		dlFilter = f
		return []record.DeadLetter{fixtureDeadLetter}, nil
	}
	var attemptsTask string
	fake.ListAttemptsFunc = func(_ context.Context, _ int64, task string) ([]record.TaskAttempt, error) {
		attemptsTask = task
		return []record.TaskAttempt{fixtureAttempt}, nil
	}
	srv := newServer(t, fake)
	c := srv.client

	if err := c.Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
	doc, err := c.OpenAPI(ctx)
	check(t, "OpenAPI", string(doc), err, string(api.OpenAPI()))

	wantP := fixturePipeline
	wantP.NextRun = t1.UTC()
	ps, err := c.Pipelines(ctx)
	check(t, "Pipelines", ps, err, []api.Pipeline{wantP, {Name: "empty", File: "pipelines/empty.yaml", Tasks: []string{}}})

	q := api.RunQuery{
		Pipeline: "orders", States: []record.RunState{record.RunFailed, record.RunQueued},
		Trigger: record.TriggerManual, BackfillID: 9, Limit: 2, Before: 100,
	}
	list, err := c.ListRuns(ctx, q)
	check(t, "ListRuns", list.Runs, err, []api.RunView{wantRun(8), wantRun(7)})
	check(t, "RunFilter", runFilter, nil, store.RunFilter{
		Pipeline: "orders", States: []record.RunState{record.RunFailed, record.RunQueued},
		Trigger: record.TriggerManual, BackfillID: 9, Limit: 2, BeforeID: 100,
	})
	// A full page links to the next one: same filters, before the last ID.
	if list.Next == "" {
		t.Fatal("ListRuns: a full page has no next link")
	}
	if _, err := c.RunsPage(ctx, list.Next); err != nil {
		t.Fatalf("RunsPage: %v", err)
	}
	q.Before = 7
	check(t, "next page filter", runFilter, nil, store.RunFilter{
		Pipeline: "orders", States: q.States, Trigger: q.Trigger, BackfillID: 9, Limit: 2, BeforeID: 7,
	})
	list, err = c.ListRuns(ctx, api.RunQuery{Limit: 3})
	check(t, "short page next", list.Next, err, "")
	check(t, "no env filter", runFilter.Env, nil, (*string)(nil))

	// env=prod, and env= (the runs outside any environment), reach the
	// store; a next page keeps the env.
	prod, none := "prod", ""
	list, err = c.ListRuns(ctx, api.RunQuery{Env: &prod, Limit: 2})
	check(t, "RunFilter env", runFilter, err, store.RunFilter{Env: &prod, Limit: 2})
	if _, err := c.RunsPage(ctx, list.Next); err != nil {
		t.Fatalf("RunsPage: %v", err)
	}
	check(t, "next page env", runFilter.Env, nil, &prod)
	_, err = c.ListRuns(ctx, api.RunQuery{Env: &none})
	check(t, "RunFilter env outside any", runFilter, err, store.RunFilter{Env: &none, Limit: api.DefaultLimit})

	run, err := c.GetRun(ctx, 7)
	want := wantRun(7)
	want.Tasks = []api.TaskView{
		{Task: "extract", State: record.TaskSucceeded, Attempts: 1, UpdatedAt: t0.UTC()},
		{Task: "load", State: record.TaskRetrying, Attempts: 2, NextAttempt: t1.UTC(), UpdatedAt: t0.UTC()},
	}
	check(t, "GetRun", run, err, want)

	as, err := c.ListAttempts(ctx, 7, "load")
	check(t, "ListAttempts", as, err, []api.AttemptView{wantAttempt})
	check(t, "ListAttempts task", attemptsTask, nil, "load")

	b, err := c.GetBackfill(ctx, 9)
	check(t, "GetBackfill", b, err, wantBackfill)

	dls, err := c.ListDeadLetters(ctx, api.DeadLetterQuery{Pipeline: "orders", All: true, Limit: 5})
	check(t, "ListDeadLetters", dls, err, []api.DeadLetterView{wantDeadLetter})
	check(t, "DeadLetterFilter", dlFilter, nil, store.DeadLetterFilter{Pipeline: "orders", Limit: 5})
	if _, err := c.ListDeadLetters(ctx, api.DeadLetterQuery{}); err != nil {
		t.Fatal(err)
	}
	check(t, "default DeadLetterFilter", dlFilter, nil, store.DeadLetterFilter{Unreplayed: true, Limit: api.DefaultLimit})
	_, err = c.ListDeadLetters(ctx, api.DeadLetterQuery{Env: &prod})
	check(t, "DeadLetterFilter env", dlFilter, err, store.DeadLetterFilter{Env: &prod, Unreplayed: true, Limit: api.DefaultLimit})

	dl, err := c.GetDeadLetter(ctx, 3)
	check(t, "GetDeadLetter", dl, err, wantDeadLetter)

	if fake.mutated() != nil {
		t.Errorf("reads called mutating methods %v", fake.mutated())
	}
}

func TestClientWriteRoutes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := populated()
	var trig api.TriggerRequest
	fake.TriggerFunc = func(_ context.Context, req api.TriggerRequest) (record.Run, error) {
		trig = req
		return fixtureRun(10), nil
	}
	var bf api.BackfillRequest
	fake.BackfillFunc = func(_ context.Context, req api.BackfillRequest) (api.BackfillStatus, error) {
		bf = req
		return fixtureBackfill, nil
	}
	var actors []string
	var paused []bool
	fake.SetPausedFunc = func(_ context.Context, p string, pause bool, actor string) error {
		if p != "orders" {
			return store.ErrNotFound
		}
		paused = append(paused, pause)
		actors = append(actors, actor)
		return nil
	}
	fake.CancelFunc = func(_ context.Context, id int64, actor string) (record.Run, error) {
		actors = append(actors, actor)
		return fixtureRun(id), nil
	}
	fake.CancelBackfillFunc = func(_ context.Context, _ int64, actor string) (api.BackfillStatus, error) {
		actors = append(actors, actor)
		return fixtureBackfill, nil
	}
	var forced []bool
	fake.ReplayFunc = func(_ context.Context, _ int64, actor string, force bool) (record.Run, error) {
		actors = append(actors, actor)
		forced = append(forced, force)
		return fixtureRun(7), nil
	}
	srv := newServer(t, fake)
	c := srv.client

	run, err := c.Trigger(ctx, api.TriggerRequest{
		Pipeline: "orders", Params: map[string]string{"a": "b"}, Start: t0, End: t1, Actor: "ignored",
	})
	check(t, "Trigger", run, err, wantRun(10))
	check(t, "TriggerRequest", trig, nil, api.TriggerRequest{
		Pipeline: "orders", Params: map[string]string{"a": "b"}, Start: t0.UTC(), End: t1.UTC(), Actor: "alice",
	})
	if _, err := c.Trigger(ctx, api.TriggerRequest{Pipeline: "orders", Date: "2024-05-01"}); err != nil {
		t.Fatal(err)
	}
	check(t, "TriggerRequest by date", trig, nil, api.TriggerRequest{Pipeline: "orders", Date: "2024-05-01", Actor: "alice"})

	if err := c.Pause(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(ctx, "orders"); err != nil {
		t.Fatal(err)
	}
	check(t, "SetPaused", paused, nil, []bool{true, false})
	var apiErr *apiclient.Error
	if err := c.Pause(ctx, "nope"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound || apiErr.Code != api.CodeNotFound {
		t.Errorf("Pause(nope) = %v, want a 404 not_found *apiclient.Error", err)
	}

	run, err = c.Cancel(ctx, 5)
	check(t, "Cancel", run, err, wantRun(5))

	req := api.BackfillRequest{Pipeline: "orders", From: "2024-05-01", To: "2024-05-03", Parallel: 2}
	b, err := c.Backfill(ctx, req)
	check(t, "Backfill", b, err, wantBackfill)
	req.Actor = "alice"
	check(t, "BackfillRequest", bf, nil, req)

	b, err = c.CancelBackfill(ctx, 9)
	check(t, "CancelBackfill", b, err, wantBackfill)

	run, err = c.Replay(ctx, 3, false)
	check(t, "Replay", run, err, wantRun(7))
	run, err = c.Replay(ctx, 3, true)
	check(t, "Replay --force", run, err, wantRun(7))
	check(t, "Replay force", forced, nil, []bool{false, true})

	res, err := c.Reload(ctx)
	check(t, "Reload", res, err, api.ReloadResult{Loaded: []string{"orders"}, Errors: []string{"pipelines/x.yaml:1:1: bad"}})

	check(t, "actors", actors, nil, []string{"alice", "alice", "alice", "alice", "alice", "alice"})
}

// The status codes are part of the contract: 201 for created, 200 for a
// dry run, 204 for pause; and the actor defaults to anonymous.
func TestStatusCodesAndActor(t *testing.T) {
	t.Parallel()
	fake := populated()
	var actor string
	fake.SetPausedFunc = func(_ context.Context, _ string, _ bool, a string) error {
		actor = a
		return nil
	}
	srv := newServer(t, fake)
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"trigger", "POST", "/api/v1/pipelines/orders/trigger", "", http.StatusCreated},
		{"backfill", "POST", "/api/v1/backfills", `{"pipeline":"orders","from":"2024-05-01","to":"2024-05-02"}`, http.StatusCreated},
		{"dry run", "POST", "/api/v1/backfills", `{"pipeline":"orders","from":"2024-05-01","to":"2024-05-02","dry_run":true}`, http.StatusOK},
		{"pause", "POST", "/api/v1/pipelines/orders/pause", "", http.StatusNoContent},
		{"healthz", "GET", "/healthz", "", http.StatusOK},
		{"metrics", "GET", "/metrics", "", http.StatusOK},
	}
	for _, tc := range cases {
		resp := send(t, srv, tc.method, tc.path, "application/json", tc.body)
		if resp.status != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, resp.status, tc.want, resp.body)
		}
	}
	if actor != "anonymous" {
		t.Errorf("actor without %s = %q, want anonymous", api.UserHeader, actor)
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

// send makes a raw request, without the client's help.
func send(t *testing.T, srv *testServer, method, path, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}
