// Package scaffold makes a new Gantry project: `gantry init` writes one of
// its templates into a folder.
//
// # Templates
//
// Each template is a folder under templates/ (embedded), rendered with
// text/template using the delimiters [% and %], because the files it
// makes hold Gantry's own {{ }} run templates and shell brackets. A
// template's files are its own folder's plus templates/common's. In a
// file's path, __name__ becomes the project name, a trailing .tmpl is
// dropped and a top-level file named gitignore becomes .gitignore.
// Shell scripts (*.sh) are written executable.
//
// data is a daily extract → transform → load with retries, timeouts,
// limits, an SLA, freshness and row-count monitoring; delivery is lint →
// test → build → deploy staging → deploy prod into local folders. Both
// come with gantry.yaml (environments dev, staging, prod with one
// approval; a webhook channel whose URL and signing key are secret
// references), a runbook with a section per failure mode the route sends,
// and pass `gantry check --env prod` as written; their scripts need only
// sh and coreutils.
//
// # Refusing to overwrite
//
// Write checks every file it would make before it writes any: when one
// exists already (or a folder in its way is a file) it writes nothing and
// returns an *ExistsError listing them all. A write that fails part-way
// removes the files and folders it made.
package scaffold
