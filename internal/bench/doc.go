// Package bench measures the engine's overhead against the cost of the
// processes it runs. Fork and exec cost milliseconds and vary from machine
// to machine, so every figure is a ratio against a raw loop that execs the
// same command in the same process, interleaved with it.
//
// It wires nothing itself: the caller hands it the store opener, the
// executor and the admin-token reader (the cli passes app's), so that
// it measures the store and executor kind the server would use.
package bench
