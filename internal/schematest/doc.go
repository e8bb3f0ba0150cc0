// Package schematest is test support: it compiles a JSON schema file once
// per test binary and validates YAML or JSON documents against it, for the
// tests that check Gantry's output against official schemas (Prometheus
// rules, GitLab CI, GitHub workflows). Only tests import it.
package schematest
