// Package logs opens and tails a task attempt's log wherever it lives, so
// that the API, the UI, alert messages and the CLI read logs one way and
// none of them knows where the bytes are.
//
// # Sources and logs
//
// A Source opens the Log of an attempt record. A Log is the attempt's
// output as far as it was written when it was opened: a size and random
// access below it, so that a tail costs what it shows, however long the
// log, and a follower re-opens the log to read what came after the offset
// it reached. An attempt that has written nothing yet — it is queued, its
// process has not printed, or it left no file — has no log: Open returns
// an error wrapping ErrNoOutput, which every caller shows as empty.
//
// Files is the Source of the logs this machine's executor wrote, at the
// path the attempt record names. It opens that path as recorded and does
// not confine it to one folder: the engine writes it under the log folder
// of whichever project ran the attempt (gantry run, gantry serve and a
// local staging deploy may share a PostgreSQL store from several
// checkouts), and the store is trusted — who can write it can do worse
// than name a file.
//
// Chunks is the Source of the logs shipped to the store by the machine
// that ran the attempt, and Fallback{Files{}, Chunks{st}} what every
// reader uses: the local file when it is on this machine, the chunks
// otherwise.
//
// # Shipping
//
// A worker that runs an attempt ships its log with one call per attempt:
//
//	stop := logs.Ship(ctx, store, attemptID, logPath)
//	res := exe.Run(ctx, attempt) // writes logPath, secrets redacted
//	err := stop()                // ships the rest, then stops following
//
// Ship follows the file as the executor writes it and appends what is new
// to the store in chunks (store.LeaseStore.AppendLogChunk) every
// DefaultShipEvery, up to DefaultShipLimit bytes per attempt (10 MiB),
// after which the shipped log ends in TruncationMark and the rest stays in
// the file. It ships only what the file holds: the executor redacts
// secrets before it writes the file, even a secret split across writes,
// so none reaches the store. A chunk that fails to append is tried again
// at the next look; stop reports the failure if the last bytes could not
// be shipped. Retention (server.Maintenance on the leader) prunes chunks
// by age.
//
// # Reading
//
// Tail gives the last bytes of a log (the UI's page), LastLines its last
// lines within a byte budget (alert details), LineOffset where its last
// lines start (the API's ?tail=N) and From what follows an offset (the
// API's follow, gantry logs).
package logs
