// Package remote runs task attempts on other processes, possibly on other
// machines, through the store's claims (store.ClaimStore).
//
// The process that runs a run's state machine hands each attempt to an
// Executor, which queues it as a claim and waits for its end: the result a
// worker recorded, the loss of the worker's lease (the attempt is then
// Lost, and the engine retries it within its budget), or its cancellation.
// A Worker claims queued attempts its labels fit, runs each with the
// executor of its kind on its own machine, renews the claim's lease while
// it runs however long, ships its log to the store as it is written, and
// records the result fenced by the claim: a worker whose lease ended
// records nothing, and stops the attempt.
//
// What crosses the store is a payload: the attempt without its secret
// values. Secrets travel as references (executor.SecretEnv) that the
// worker resolves through its own secrets sources, and a payload that
// would hold a value the attempt redacts is refused before it is written.
package remote
