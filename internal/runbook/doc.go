// Package runbook writes a pipeline's runbook from what the project says
// of it: purpose, owner, schedule and SLA in words, upstream and
// downstream pipelines and datasets, and one section per failure mode the
// pipeline can raise, each with its symptom, diagnosis and recovery
// steps naming the exact gantry commands for this pipeline.
//
// # Generated and hand-written parts
//
// Generate returns Markdown in which each generated part sits between
// <!-- gantry:begin KEY --> and <!-- gantry:end KEY --> markers; the
// text after a part, up to the next one, is the person's. What only a
// person can know (who uses the data, whom to ask when a source is down)
// is a line starting with check.FillMarker, which the gate reports until
// it is replaced. Update regenerates the marked parts of an existing
// runbook and keeps everything else where it was; a runbook written
// before it was generated (no markers) has each of its sections moved
// under the generated section of the mode its heading names.
//
// # Anchors
//
// A failure mode's section heading is written so that its anchor is the
// one alerts link to (routing.Mode.Anchor, routing.Anchor): "## Out of
// memory" is #out-of-memory in the dashboard and on GitHub alike.
package runbook
