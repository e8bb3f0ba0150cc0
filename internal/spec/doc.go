// Package spec parses Gantry's YAML — pipeline files and the project's
// gantry.yaml — into typed, validated structs, and publishes a JSON Schema
// for pipeline files.
//
// # Errors
//
// Decoding is strict and walks the YAML node tree, so every problem has a
// position. All problems in a file are reported at once, sorted, one per
// line, compiler style:
//
//	pipelines/orders.yaml:14:7: tasks[2].needs: unknown task "transfrom" (did you mean "transform"?)
//
// Field paths index lists from 0. The error type is Errors, a list of
// Error; callers can print it, or range over it for editors and the API.
// No input makes the package panic.
//
// # Defaults
//
// A pipeline's `defaults:` are merged into each task that does not set the
// field itself (retries as a whole, timeout, and memory and cpu one by
// one). Gantry's built-in fallbacks are not applied: a zero value means
// "not set", so the readiness gate can tell what the author wrote. Each
// type's comment says what its zero value falls back to.
//
// # Task kinds
//
// A task's `kind:` says what runs it; "process", the default, runs its
// `run:` command in its `workdir:` as a local process group. Each kind
// has a block of fields of its own — process's are written on the task
// itself — and a task may use only its own kind's. An unknown kind is an
// error at its position, with the nearest known kind as a hint. Kinds
// lists them, and the JSON Schema offers the same.
//
// # Working directories
//
// A project is a folder holding gantry.yaml and pipelines/. Tasks run in
// the project folder — the parent of pipelines/, or the pipeline file's
// own folder when it is not in a folder named pipelines — so `run:`
// commands and `runbook:` name files relative to the project, as in
// `./scripts/extract.sh`. A task's `workdir:` replaces that folder; a
// relative workdir is taken inside the project folder. Pipeline.WorkDir
// resolves it; the engine sets the task's working directory from it.
//
// A `runbook:` file must lie inside the project: not absolute, not
// climbing out with "..", and, when the project is read from disk, not a
// link that leads out of it (ProjectPath), because the server shows the
// runbook to whoever may view the pipeline. A `workdir:` may be anywhere,
// absolute paths included: it is only where the task's own shell starts,
// with no more reach than the command it runs, and nothing is served from
// it. Likewise gantry.yaml's `secrets.dir` (often /run/secrets) and
// `store`.
//
// # Limits
//
// A pipeline file or gantry.yaml may hold at most MaxFileSize bytes, and
// its aliases may reach only so many nodes in all (ten times the file's
// own, from 50,000 up to 200,000): a YAML alias names a subtree that the
// decoder walks again, and nested aliases would otherwise multiply a file
// of a few hundred bytes into billions of nodes.
//
// # Templates
//
// `run:` may hold text/template actions over Vars: {{ .Interval.Start }},
// {{ .Interval.End }}, {{ .Params.NAME }}, {{ .RunID }}, {{ .Task }},
// {{ .Attempt }} and {{ .Env }}. Parsing checks the template and that
// every param it names is declared. Render puts no value in the command
// text: each action becomes a reference to an environment variable
// (GANTRY_TPL_1, …) that carries the value, so a value can never become
// code, whatever shell context it lands in.
package spec
