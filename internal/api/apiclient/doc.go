// Package apiclient is the Go client of Gantry's HTTP API (package api):
// one typed method per route on Client, returning api's view types, and
// on top of it the service interfaces the local backend implements,
// returning the same records: DeployService is api.DeployService (as
// deploy.Service is locally), RunReader has api.Service's run, attempt
// and dead-letter reads. The CLI uses it when --server or GANTRY_SERVER
// names a running `gantry serve`, so a command is written once for both.
package apiclient
