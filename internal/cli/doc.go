// Package cli is the `gantry` command: one cobra command per verb, thin
// over the engine, spec and store, written once against the local store
// and a server's API. It makes sure a user never sees a Go stack trace.
//
// # Exit codes
//
// One table for every command, locally and through a server (exit_codes.go,
// printed by `gantry help exit-codes`): 0 done, 1 the thing failed (a run,
// a staging run, a check), 2 usage or bad input, 3 not found, 4 refused
// (gate, approval, store lock, policy, role, token), 5 store or server
// unreachable, 130 interrupted. An error gets its code where it is made
// (usageErr, refused, silent) or, through failed, from what it wraps: the
// store's and deploy's sentinels locally, the HTTP status of a server's
// answer remotely, which the API derives from the same sentinels — so the
// same mistake exits the same way in both modes.
//
// # Where a command goes
//
// A command that reads or changes state goes, in this order, to --server,
// to $GANTRY_SERVER, or to the project's running server, which records
// its address, pid and store in <project>/.gantry/server.json when it
// listens and removes it when it stops (server.AddressFile); a file left
// by a server that died (its pid gone, nothing answering) is ignored.
// Only when none runs does it open the project's local store. --verbose
// says which and why (target.go). gantry run refuses while the project's
// server runs; gantry check reads test-fire history only from --store or
// such a server, and says which.
//
// # Output formats
//
// Every list and show command takes -o table|json|yaml (output.go). Such
// a command builds the API's body for the same question (api.RunList,
// api.DeploymentList, ...; from records through api.NewRunView and the
// like, so that a local store and a server print the same fields) and
// ends with
//
//	addOutput(c) // beside its other flags
//	...
//	return render(c, body, func(w io.Writer) error { return printThings(w, things) })
//
// render writes body as indented JSON, as YAML with the same field names,
// or calls the table func; the root refuses any other -o before the
// command runs. A new command (gantry workers, sizing, readiness,
// runbook) does the same and adds its case to outputCases in
// output_e2e_test.go, whose golden files list each command's fields.
package cli
