// Package secrets finds hardcoded secrets in a repository for Gantry's
// readiness gate (gantry check).
//
// # Two rule sets
//
// The first is gitleaks' default configuration (github.com/zricethezav/gitleaks/v8,
// package detect): over two hundred provider-specific rules such as AWS keys,
// GitHub and Slack tokens, private key blocks and Stripe keys, with
// base64/hex/percent decoding up to depth 5. The second is Gantry's own rules
// for what those miss in deploy and CI files: passwords in connection URLs,
// docker login -p, sshpass -p, curl -u user:pass, literal Authorization
// headers, and literal values under keys named like PASSWORD or API_KEY.
//
// # References are not secrets
//
// Every finding, from either rule set, is dropped when its value is a
// reference or a placeholder: ${VAR}, $VAR, ${{ secrets.X }}, {{ .X }},
// {secret: name}, vault://, aws-sm://, gcp-sm://, op://, env: references,
// <your-token>, changeme, REDACTED, masked values such as abcd****, and so on.
// A line that carries gitleaks:allow is skipped.
//
// # Findings never carry the secret
//
// A Finding holds where the secret is and a masked form of it: at most its
// first four characters and "****", and fewer for short secrets.
//
// # Speed
//
// Gitleaks runs every rule whose keyword appears anywhere in a fragment over
// the whole fragment, and short keywords ("s.", "ey", "key") appear in
// nearly every file; with Go's regexp that scanned 2 to 7 MB/s. This package
// keeps gitleaks' rules, allowlists and detector but feeds each rule only
// the lines that hold its keywords (and the line after, where a value may
// follow a newline), found in one Aho-Corasick pass per file. Rules whose
// patterns span many lines (private key blocks, continued curl commands,
// Kubernetes Secret manifests) see the whole file. generic-api-key, the
// costliest pattern, sees only lines where a keyword is followed by an
// operator and a value of its shape; the decoding passes (base64, hex,
// percent, Unicode escapes, to depth 5) run with every rule over the lines
// that hold something decodable. A test checks that each secret plain
// gitleaks reports is still reported.
//
// Files are scanned in parallel; files gitleaks' global allowlist skips
// (lock files, vendored code, images) are not read. Building with
// -tags gore2regex switches gitleaks' patterns to RE2 (wasilibs/go-re2),
// faster again.
package secrets
