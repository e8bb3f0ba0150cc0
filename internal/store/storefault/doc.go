// Package storefault wraps a real store so that tests can make its writes
// fail on demand: the n-th commit of a run's step, every write for a
// while, a conflict where none should be. Everything else reaches the
// real store untouched. It is for tests of failure paths; nothing in a
// running Gantry uses it.
package storefault
