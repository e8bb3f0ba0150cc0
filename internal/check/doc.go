// Package check is Gantry's readiness gate: rules over a project's
// pipelines, gantry.yaml and repository files that decide whether the
// project is ready to be operated in production. `gantry check` runs it;
// `gantry deploy` refuses what it rejects.
//
// # Rules
//
// Every rule has a stable id (Rules lists them), a severity and an
// explanation (`gantry check --explain RULE`). Only error-level findings
// fail the gate. The rules cover retries and timeouts, resource limits and
// parallelism, upstream dependencies between pipelines, production
// rollback and approvals, alert routing, data SLAs and row-count
// monitoring, runbooks, and hardcoded secrets (found by the secrets
// subpackage). A file that does not parse, cannot be read or is binary is
// a finding, never a failure of the gate itself.
//
// # Runbooks
//
// The runbook rules read a runbook's code spans and blocks with a real
// shell parser (mvdan.cc/sh), so quoting, operators, $( ) and comments
// are read as a shell reads them, and hand each gantry command line to
// Options.Commands, the CLI's reading of its own command tree, which says
// what is wrong with it and which words are pipelines, tasks and
// environments; those must exist in the project. Every failure mode the
// pipeline raises (routing.Modes) and does not suppress needs a section
// with its alerts' anchor, and a line gantry runbook generate left to
// fill is a finding until it is written. ReadRunbook gives the readiness
// report the modes a runbook covers and its backfill commands.
//
// Production rules apply to the environments gantry.yaml marks
// `production: true` and to any environment named prod or production.
// Options.Env limits them to one environment; without it every production
// environment is checked.
//
// # Files
//
// The gate scans gantry.yaml, pipelines/*.yaml, the scripts tasks run
// (the first word of run:, or the word after sh, bash, python and the
// like, when it is a relative path), the runbooks, and every other text
// file of the repository: the git work tree holding the project folder
// (git rev-parse --show-toplevel; the files git ls-files lists, tracked
// and untracked but not ignored), or the project folder when it is in
// none, walked without entering .git, .gantry, node_modules, vendor,
// .venv and the like (skipDirs). Files outside the project folder are
// named relative to it, with "../", in every report format.
//
// For the files the gate always scanned — those above, Dockerfiles,
// .gitlab-ci.yml, .github/workflows/* at any depth, *.sh and .env* — one
// that cannot be read is an error. Any other file that cannot be read, is
// binary or is over 10 MiB is a binary-file note (the binaries together,
// in one), and a malformed gantry:ignore in it is taken for documentation.
//
// # History and baselines
//
// Options.History also scans every blob reachable from HEAD (git rev-list
// --objects, then one git cat-file --batch), each once and none that is
// the content of a file already scanned; a finding there names the commit
// that added it (git log --find-object) and inline comments do not
// suppress it. Options.Baseline names a file of accepted findings with a
// reason and an expiry, optionally pinned to a line and a commit.
//
// # Suppressions
//
// A finding is suppressed by a comment on its line, or alone on the line
// above it:
//
//	retries: 1  # gantry:ignore task-retries lint is deterministic
//	<!-- gantry:ignore runbook-coverage reason -->   (Markdown files)
//
// or by an entry in .gantry-ignore.yaml in the project folder, whose path
// is a glob over project-relative paths (* within a folder, ** across):
//
//	# .gantry-ignore.yaml
//	- rule: hardcoded-secret
//	  path: tests/fixtures/**
//	  reason: fake credentials for the integration tests
//	  expires: 2026-12-31
//
// A suppression needs a reason; an entry also needs an expiry date.
// A failure mode a route deliberately does not page for is suppressed in
// gantry.yaml or the pipeline instead (alerts.suppress: [{mode, reason}]):
// alert-coverage then reports the mode among the suppressed findings. One
// without, for an unknown rule, or past its date (the date itself is still
// valid) does not apply and is a bad-suppression finding.
//
// # JSON format
//
// WriteJSON writes version 1 of this format; fields are only ever added
// within a version:
//
//	{
//	  "version": 1,
//	  "findings": [
//	    {"rule": "task-timeout", "severity": "error",
//	     "file": "pipelines/orders.yaml", "line": 12, "column": 5,
//	     "message": "tasks[1] \"load\" has no timeout",
//	     "fix": "set timeout: 10m on the task or defaults.timeout"}
//	  ],
//	  "suppressed": [
//	    {"finding": {...as above...}, "reason": "why",
//	     "source": "pipelines/orders.yaml:11"}
//	  ],
//	  "files": ["gantry.yaml", "pipelines/orders.yaml", "scripts/load.sh"],
//	  "summary": {"passed": false, "errors": 1, "warnings": 0, "info": 0,
//	              "files": 3, "suppressed": 1}
//	}
//
// severity is "error", "warning" or "info"; file is relative to the
// project folder with forward slashes; line and column are 1-based; fix
// may be absent; findings are sorted by file, line, column and rule;
// passed is true when there is no error. source is the file and line of
// the suppression (an inline comment, or .gantry-ignore.yaml:LINE).
//
// # SARIF
//
// WriteSARIF writes SARIF 2.1.0 with one run: tool.driver lists every
// rule with its help text, each finding is a result with its ruleId,
// level (error, warning, note), message and a location whose
// artifactLocation.uri is relative to the project folder. Suppressed
// findings are results carrying a suppression (inSource or external) and
// its justification.
//
// # GitLab Code Quality
//
// WriteCodeQuality writes the JSON array GitLab reads from a job's
// `artifacts: reports: codequality:`: one issue per finding with its
// description, check_name (the rule), a fingerprint stable across runs,
// a severity on GitLab's scale (error critical, warning major, info info)
// and location.path and lines.begin, relative to the project folder.
// Suppressed findings are left out.
package check
