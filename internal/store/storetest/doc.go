// Package storetest is the suite every store.Store driver runs, so that the
// drivers behave alike: a driver's test calls Run with a function that opens
// a fresh, empty store, and Reopen with one that opens the same database
// again.
package storetest
