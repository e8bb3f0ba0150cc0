// Package api serves Gantry's HTTP JSON API under /api/v1, for
// `gantry serve`, and declares the Service it serves.
//
// # Shape
//
// Every response body is JSON in snake_case built from the view types in
// this package (RunView, AttemptView, ...), never from record types, so the
// wire format changes only when a view does. Times are RFC 3339 in UTC and
// left out when zero; durations are float seconds in fields named
// *_seconds. The run logs are the one text/plain exception.
//
// # Errors
//
// A failed request gets {"error": code, "message": ..., "field": ...} with
// the status that matches the code (see ErrorBody). A malformed request is
// refused before the Service is called, so it changes nothing. A 500 never
// shows the underlying Go error; the handler logs it instead. Every string
// of a request is checked once (checkText, checkURL) for what a PostgreSQL
// text column refuses — a NUL byte, invalid UTF-8 — so that is a 400
// naming the field, not a 500 from the store.
//
// # Bodies
//
// A body is read under the route's limit (limitBody): MaxBodyBytes, or
// MaxBundleBytes on the bundle routes for a role that may deploy. Over it
// is 413, before reading when Content-Length says so. Each bundle route
// reads at most MaxBundlesInFlight bundle-sized bodies at once; another is
// 429 with Retry-After before its body is read, so a burst of large
// requests cannot take the server's memory.
//
// # Access
//
// With an Authenticator (Options.Auth), every route but health, readiness
// and the OpenAPI document needs "Authorization: Bearer TOKEN", and the
// token's role must grant the route's Permission: read for GETs, operate
// for runs and alerts, deploy, approve, admin for tokens. A missing or
// unknown token is 401, a role without the permission 403; neither
// reaches the Service. The acting user of a change is the token's.
//
// # Contract
//
// openapi.yaml, embedded and served at /api/v1/openapi.yaml, describes
// every route; the tests keep it and the mux in step and validate real
// responses against its schemas.
package api
