package secrets

import (
	"regexp"
	"slices"
	"strings"
)

// A gantryRule finds one kind of secret the gitleaks defaults miss. It runs
// only on lines that contain one of its keywords (lower case), which keeps
// the regular expressions off the bulk of a repository.
type gantryRule struct {
	id       string
	desc     string
	keywords []string
	// requires are substrings (lower case) a line must all hold before the
	// pattern is tried: a cheap test that spares most keyword lines.
	requires []string
	re       *regexp.Regexp
	group    int // submatch that holds the secret
	minLen   int
	// find, when set, replaces re and group: it returns the secrets on
	// line given where secret-named keys may end on it.
	find func(line string, keyEnds []int) []span
}

// A span is a secret's byte range within a line.
type span struct {
	start, end int
	quoted     bool
}

// assignKeywords are how the name of a key that holds a secret ends:
// DB_PASSWORD, apiKey, client-secret. Any key characters may come before.
var assignKeywords = []string{
	"password", "passwd", "pwd", "passphrase", "token", "secret", "apikey", "api_key", "api-key", "api.key",
	"accesskey", "access_key", "access-key", "access.key", "privatekey", "private_key", "private-key",
	"secretkey", "secret_key", "secret-key", "secret.key", "authkey", "auth_key", "auth-key",
}

var gantryRules = []gantryRule{
	{
		id:       "connection-url-password",
		desc:     "Password in a database or broker connection URL",
		keywords: []string{"postgres", "mysql", "mongodb", "redis", "amqp", "jdbc"},
		requires: []string{"://", "@"},
		re:       regexp.MustCompile(`(?i)\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|rediss?|amqps?|jdbc:[a-z0-9:]+)://[^\s:@/'"]*:([^\s@'"/]+)@`),
		group:    1,
		minLen:   3,
	},
	{
		id:       "jdbc-password-param",
		desc:     "Password parameter in a JDBC connection string",
		keywords: []string{"jdbc"},
		requires: []string{"password="},
		re:       regexp.MustCompile(`(?i)\bjdbc:[^\s'"]*?[;?&:]password=([^;&\s'"]+)`),
		group:    1,
		minLen:   3,
	},
	{
		id:       "registry-login-password",
		desc:     "Password on a docker login command line",
		keywords: []string{"login"},
		requires: []string{"-p"},
		re:       regexp.MustCompile(`(?i)\b(?:(?:docker|podman|buildah|nerdctl|skopeo)\s+login|helm\s+registry\s+login)\b[^\n|;&]*?\s(?:-p|--password)(?:[ \t]+|=)(['"]?)([^\s'"]+)`),
		group:    2,
		minLen:   3,
	},
	{
		id:       "sshpass-password",
		desc:     "Password on an sshpass command line",
		keywords: []string{"sshpass"},
		requires: []string{"-p"},
		re:       regexp.MustCompile(`\bsshpass\s+(?:-[a-oq-zA-Z]\S*\s+)*-p[ \t]*(['"]?)([^\s'"]+)`),
		group:    2,
		minLen:   3,
	},
	{
		id:       "curl-basic-auth",
		desc:     "Password in curl -u user:password",
		keywords: []string{"curl"},
		requires: []string{"-u"},
		re:       regexp.MustCompile(`\bcurl\b[^\n|;&]*?\s(?:-u|--user)(?:[ \t]+|=)(['"]?)[^\s:'"]*:([^\s'"]+)`),
		group:    2,
		minLen:   3,
	},
	{
		id:       "authorization-header",
		desc:     "Literal credentials in an Authorization header",
		keywords: []string{"authorization"},
		re:       regexp.MustCompile(`(?i)\bauthorization\b['"]?[ \t]*[:=][ \t]*['"]?(?:basic|bearer|token)[ \t]+([A-Za-z0-9+/=._~-]+)`),
		group:    1,
		minLen:   8,
	},
	{
		id:       "secret-assignment",
		desc:     "Literal value under a secret-named key",
		keywords: assignKeywords,
		find:     findAssignments,
	},
}

// findSpans returns the secrets r finds on line; lower is line in lower case.
func (r *gantryRule) findSpans(line, lower string) []span {
	if r.find != nil {
		return r.find(line, keyEndsIn(line))
	}
	for _, s := range r.requires {
		if !strings.Contains(lower, s) {
			return nil
		}
	}
	var out []span
	for _, m := range r.re.FindAllStringSubmatchIndex(line, -1) {
		s, e := m[2*r.group], m[2*r.group+1]
		if s < 0 || e-s < r.minLen || isReference(line[s:e]) {
			continue
		}
		out = append(out, span{start: s, end: e})
	}
	return out
}

// findAssignments returns literal values assigned to secret-named keys
// that end at one of keyEnds: `KEY=v`, `KEY: v`, `"key": "v"`, `key := "v"`,
// `--key=v`, `["KEY"] = v`, and with blanks alone, `--key v` and
// Dockerfile `ENV KEY v`. It is written out by hand: a regular expression
// for it was the slowest part of Gantry's rules.
func findAssignments(line string, keyEnds []int) []span {
	var out []span
	for _, end := range keyEnds {
		start := keyStart(line, end)
		v, ok := afterKey(line, start, end)
		if !ok || inFlowMapping(line, start) {
			continue
		}
		sp, ok := valueAt(line, v)
		if ok && (gantryReference(line[start:end], line[sp.start:sp.end]) || closesKeyString(line, start, end, sp)) {
			continue
		}
		if ok && isLiteralSecret(line[sp.start:sp.end], sp.quoted) &&
			!slices.ContainsFunc(out, func(o span) bool { return o.start == sp.start }) {
			out = append(out, sp)
		}
	}
	return out
}

// closesKeyString reports whether the quote a quoted value starts after
// is the one that closes a string holding the key, as in source code that
// builds a line: "ENV API_TOKEN=" + token. What follows it is code, not
// the value. The key's own quotes ("API_TOKEN": "x") do not count.
func closesKeyString(line string, start, end int, sp span) bool {
	if !sp.quoted {
		return false
	}
	q := line[sp.start-1]
	n := 0
	for i := 0; i < start; i++ {
		if line[i] == q && (i == 0 || line[i-1] != '\\') {
			n++
		}
	}
	if start > 0 && line[start-1] == q && end < len(line) && line[end] == q {
		n--
	}
	return n%2 == 1
}

// secretNameRe is what a secret's name looks like in Gantry's YAML:
// lower-case words joined by underscores, digits only after one.
var secretNameRe = regexp.MustCompile(`^[a-z]+(?:_[a-z0-9]+)*$`)

// gantryReference reports whether value under key is a reference in
// Gantry's own YAML: `secret:` and `url_secret:` of an alert channel name
// a secret held elsewhere, as `{secret: NAME}` does for a task.
// Helm charts and Kubernetes manifests name a Secret object the same way:
// existingSecret: api-db, secretName: tls-cert.
func gantryReference(key, value string) bool {
	if (key == "secret" || key == "url_secret") && secretNameRe.MatchString(value) {
		return true
	}
	k := strings.ToLower(key)
	return (strings.HasSuffix(k, "existingsecret") || strings.HasSuffix(k, "secretname")) && k8sNameRe.MatchString(value)
}

// k8sNameRe is a Kubernetes object name (a DNS subdomain).
var k8sNameRe = regexp.MustCompile(`^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$`)

// keyStart walks back from i over key characters to where the key begins.
func keyStart(line string, i int) int {
	for i > 0 && isKeyByte(line[i-1]) {
		i--
	}
	return i
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// afterKey reads what follows a key that ends at end: a closing quote or
// bracket, then an operator (=, :=, or : followed by a blank or the end of
// the line), or, for --flags and ENV/ARG lines, blanks alone. It returns
// where the value starts.
func afterKey(line string, start, end int) (int, bool) {
	j := end
	if j < len(line) && (line[j] == '"' || line[j] == '\'') {
		j++
	}
	if j < len(line) && line[j] == ']' {
		j++
	}
	j = skipBlanks(line, j)
	switch {
	case strings.HasPrefix(line[j:], ":="):
		j += 2
	case strings.HasPrefix(line[j:], "=="):
		return 0, false
	case j < len(line) && line[j] == '=':
		j++
	case j < len(line) && line[j] == ':' && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t'):
		j++
	case j > end && j == skipBlanks(line, end) && isFlagKey(line, start):
		// --password VALUE, ENV DB_PASSWORD VALUE
	default:
		return 0, false
	}
	return skipBlanks(line, j), true
}

func isFlagKey(line string, start int) bool {
	if strings.HasPrefix(line[start:], "--") && (start == 0 || line[start-1] == ' ' || line[start-1] == '\t') {
		return true
	}
	head := strings.ToUpper(strings.TrimSpace(line[:start]))
	return head == "ENV" || head == "ARG"
}

func skipBlanks(line string, j int) int {
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	return j
}

// valueAt reads the value that starts at line[i]: a quoted string, or a bare
// word up to white space with trailing punctuation dropped.
func valueAt(line string, i int) (span, bool) {
	if i >= len(line) {
		return span{}, false
	}
	if q := line[i]; q == '"' || q == '\'' || q == '`' {
		end := strings.IndexByte(line[i+1:], q)
		if end < 0 {
			end = len(strings.TrimRight(line[i+1:], " \t\r"))
		}
		return span{start: i + 1, end: i + 1 + end, quoted: true}, true
	}
	end := i
	for end < len(line) && line[end] != ' ' && line[end] != '\t' && line[end] != '\r' && line[end] != '\n' {
		end++
	}
	for end > i && strings.IndexByte(",;:)}]", line[end-1]) >= 0 {
		end--
	}
	if end == i || line[i] == '!' || line[i] == '*' || line[i] == '&' || line[i] == '|' || line[i] == '>' {
		// YAML tags (!vault), aliases, anchors and block scalars are not literals.
		return span{}, false
	}
	return span{start: i, end: end}, true
}

// inFlowMapping reports whether the key at line[start:] is "secret" inside
// a YAML flow mapping, as in {secret: db-password}: a
// reference to a named secret, not a literal.
func inFlowMapping(line string, start int) bool {
	if !strings.HasPrefix(strings.ToLower(line[start:]), "secret:") {
		return false
	}
	before := strings.TrimRight(line[:start], " \t")
	return strings.HasSuffix(before, "{") || strings.HasSuffix(before, ",")
}
