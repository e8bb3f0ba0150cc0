package apiclient_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// queueStarter queues staging runs in the store, as the server does.
type queueStarter struct{ st store.Store }

func (q queueStarter) StartStaging(ctx context.Context, env string, rev record.Revision, _ *deploy.Bundle) (record.Run, error) {
	run := record.Run{Pipeline: rev.Pipeline, Env: env, Revision: rev.Hash, Trigger: record.TriggerStaging,
		State: record.RunQueued, CreatedAt: time.Now()}
	err := q.st.CreateRun(ctx, &run, []string{"all"})
	return run, err
}

// A command written against api.DeployService sees the same records
// through a server as from the local deploy.Service: what it prints is
// the same in both modes.
func TestDeployServiceReturnsTheLocalRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := storesqlite.Open(ctx, filepath.Join(t.TempDir(), "gantry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	local := deploy.New(deploy.Options{Store: st, Starter: queueStarter{st}})
	srv := httptest.NewServer(api.NewHandler(nil, api.Options{Deploy: local, Auth: api.TokenAuth{Tokens: local}}))
	defer srv.Close()
	token, _, err := local.CreateToken(ctx, "test", "root", deploy.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	c := apiclient.New(srv.URL, srv.Client())
	c.Token = token
	var remote api.DeployService = apiclient.DeployService{C: c}

	b, err := deploy.Collect(filepath.Join("..", "..", "deploy", "testdata", "project"), "orders")
	if err != nil {
		t.Fatal(err)
	}
	res, err := remote.DeployAll(ctx, "", []*deploy.Bundle{b}, "staging", "first")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Revision.Hash != b.Hash || res[0].Staging == nil {
		t.Fatalf("deploy through the server: %+v", res)
	}
	id := res[0].Deployment.ID

	same(t, "Revisions", func(s api.DeployService) (any, error) { return s.Revisions(ctx, "orders", 10) }, local, remote)
	same(t, "Deployments", func(s api.DeployService) (any, error) {
		return s.Deployments(ctx, store.DeploymentFilter{Pipeline: "orders", Limit: 10})
	}, local, remote)
	same(t, "Deployment", func(s api.DeployService) (any, error) {
		d, as, waiting, err := s.Deployment(ctx, id)
		return []any{d, as, waiting}, err
	}, local, remote)
	same(t, "Audit", func(s api.DeployService) (any, error) { return s.Audit(ctx, store.AuditFilter{Pipeline: "orders"}) }, local, remote)
	same(t, "ListTokens", func(s api.DeployService) (any, error) {
		ts, err := s.ListTokens(ctx)
		for i := range ts {
			ts[i].Hash = "" // never sent
		}
		return ts, err
	}, local, remote)

	run, err := st.GetRun(ctx, res[0].Staging.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inUTC(*res[0].Staging), inUTC(run); !reflect.DeepEqual(got, want) {
		t.Errorf("the staging run through the server %+v, in the store %+v", got, want)
	}
}

// same calls get on the local and the remote service and wants equal
// answers, times compared as instants.
func same(t *testing.T, what string, get func(api.DeployService) (any, error), local, remote api.DeployService) {
	t.Helper()
	l, err := get(local)
	if err != nil {
		t.Fatalf("%s locally: %v", what, err)
	}
	r, err := get(remote)
	if err != nil {
		t.Fatalf("%s through the server: %v", what, err)
	}
	if l, r := inUTC(l), inUTC(r); !reflect.DeepEqual(l, r) {
		t.Errorf("%s:\nthrough the server %+v\n           locally %+v", what, r, l)
	}
}

// inUTC copies v with every time.Time in UTC, without its monotonic
// reading and to the microsecond, as the API and the store keep times.
func inUTC(v any) any {
	out := reflect.New(reflect.TypeOf(v)).Elem()
	utc(reflect.ValueOf(v), out)
	return out.Interface()
}

var timeType = reflect.TypeOf(time.Time{})

func utc(in, out reflect.Value) {
	switch {
	case in.Type() == timeType:
		out.Set(reflect.ValueOf(in.Interface().(time.Time).UTC().Round(0).Truncate(time.Microsecond)))
	case in.Kind() == reflect.Struct:
		for i := range in.NumField() {
			if out.Field(i).CanSet() {
				utc(in.Field(i), out.Field(i))
			}
		}
	case in.Kind() == reflect.Slice && !in.IsNil():
		out.Set(reflect.MakeSlice(in.Type(), in.Len(), in.Len()))
		for i := range in.Len() {
			utc(in.Index(i), out.Index(i))
		}
	case in.Kind() == reflect.Interface && !in.IsNil():
		e := reflect.New(in.Elem().Type()).Elem()
		utc(in.Elem(), e)
		out.Set(e)
	default:
		out.Set(in)
	}
}
