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
// than name a file. The scale-out work adds a second Source, for attempts
// that ran on another machine and shipped their log to the store.
//
// # Reading
//
// Tail gives the last bytes of a log (the UI's page), LastLines its last
// lines within a byte budget (alert details), LineOffset where its last
// lines start (the API's ?tail=N) and From what follows an offset (the
// API's follow, gantry logs).
package logs
