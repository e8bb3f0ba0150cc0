// Package apiclient is the Go client of Gantry's HTTP API (package api):
// one typed method per route, returning api's view types. The CLI uses it
// when --server or GANTRY_SERVER names a running `gantry serve`.
package apiclient
