package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
)

// The client's own behaviour; every route against the real handler is
// tested in package api.

func TestErrorFromServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_request","message":"limit: must be an integer from 1 to 500","field":"limit"}`))
	}))
	defer srv.Close()
	_, err := apiclient.New(srv.URL, nil).ListRuns(context.Background(), api.RunQuery{Limit: 9999})
	var e *apiclient.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *apiclient.Error", err, err)
	}
	want := apiclient.Error{Status: 400, Code: api.CodeInvalid, Message: "limit: must be an integer from 1 to 500", Field: "limit"}
	if *e != want {
		t.Errorf("got %+v, want %+v", *e, want)
	}
	if err.Error() != want.Message {
		t.Errorf("Error() = %q, want the server's message", err.Error())
	}
}

// A body that is not the API's (a proxy's error page) still makes an Error.
func TestErrorFromProxy(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream connect error", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := apiclient.New(srv.URL, nil).Reload(context.Background())
	var e *apiclient.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadGateway || e.Message != "upstream connect error" || e.Code != "" {
		t.Errorf("got %#v", err)
	}
}

func TestUserFromEnvironment(t *testing.T) {
	t.Setenv("GANTRY_USER", "carol")
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get(api.UserHeader)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	if err := apiclient.New(srv.URL, nil).Pause(context.Background(), "orders"); err != nil {
		t.Fatal(err)
	}
	if got != "carol" {
		t.Errorf("%s = %q, want carol", api.UserHeader, got)
	}
}
