// Package routing is the alert routing tree and the vocabulary of failure
// modes, written once for the alert manager, which routes what fires, and
// for the readiness gate, which walks every failure mode a pipeline can
// raise through the same tree to prove each one reaches a channel.
//
// # Tree
//
// New builds the tree of a project's named routes. An alert enters at the
// named route of its route label; child routes are tried in order, a
// child is followed when its match labels equal the alert's, and the
// first child that takes the alert ends the search unless it says
// continue. When no child takes it, the route itself does if the alert's
// kind is in its on list (empty: every kind but success and retry).
// Channels, on and grouping left empty are inherited from the parent.
//
// # Failure modes
//
// Modes lists what can go wrong with a pipeline that Gantry pages about:
// the name alerts.suppress uses, the kind routes filter on, the alert
// names raised for it and the runbook anchor its alerts link to. Anchors
// holds the words that name each anchor's mode in a runbook heading, so a
// runbook links well without renaming its sections.
package routing
