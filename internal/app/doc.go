// Package app wires Gantry's parts together: it is the only package that
// imports concrete store drivers, and it knows where a project keeps its
// state. It holds no logic of its own.
package app
