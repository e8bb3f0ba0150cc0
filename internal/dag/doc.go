// Package dag holds the graph algorithms Gantry runs over a pipeline's
// tasks: build a graph from nodes and their `needs`, find a cycle, order
// the nodes topologically, compute the ready set of a run in progress and
// the transitive dependents of a node.
//
// # Model
//
// Nodes are string ids kept in the order they were given ("file order").
// An edge "b needs a" means a must finish before b starts; a is upstream
// of b and b is downstream of a. Every result that lists several nodes
// lists them in a deterministic order: topological where that matters,
// with file order breaking ties, so plans and error messages are stable
// from one run to the next.
//
// The package knows nothing of YAML, storage or execution: spec checks a
// pipeline's graph with it and reports errors with positions; the engine
// asks it which tasks are ready and which are affected by a failure.
package dag
