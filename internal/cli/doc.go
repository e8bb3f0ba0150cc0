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
package cli
