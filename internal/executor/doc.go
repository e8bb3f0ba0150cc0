// Package executor is the vocabulary of one task attempt, shared by the
// engine that asks for attempts and the executors that run them: an
// Attempt (its kind, command, env, timeout, resource limits and the
// secrets to redact from everything it prints), its Result, and a Handle
// to find it again after a crash.
//
// # Kinds
//
// A task's kind (spec `kind:`, "process" by default) picks the Executor
// that runs its attempts. Each kind is a sub-package: executor/process
// runs a local process group under a cgroup. A Set holds one Executor per
// kind; package app builds it, and the engine looks the kind of each task
// up in it — a task of a kind the Set lacks fails with an error saying so.
//
// # Recovery
//
// An attempt whose Gantry stopped is recovered by the executor of its
// kind: the engine hands it a Handle — what Result.PID reported, as
// recorded, and the environment entries that belong to that attempt alone
// — and the executor ends whatever of the attempt is still running.
//
// Adding a kind (a container, a Kubernetes job) is a package implementing
// Executor that passes executortest.Run, a block in spec for the task's
// fields, and one line in app.
package executor
