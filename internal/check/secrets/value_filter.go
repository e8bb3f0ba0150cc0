package secrets

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// minValueLen is the shortest literal that counts as a secret under a
// secret-named key: shorter values are flags, ports or booleans far more
// often than passwords.
const minValueLen = 6

// refPrefixes mark values that point at a secret kept elsewhere.
var refPrefixes = []string{
	"$", "{{", "{%", "<%", "%(", "{", "vault://", "vault:", "aws-sm://", "gcp-sm://", "op://",
	"env:", "env://", "secret://", "secrets://", "ref+", "sm://", "azure-kv://", "k8s://",
	"file://", "arn:aws:secretsmanager:", "arn:aws:ssm:",
}

// placeholderWords are substrings that mark documentation or template values.
var placeholderWords = []string{
	"changeme", "change-me", "change_me", "changeit", "example", "placeholder",
	"redacted", "dummy", "your_", "your-", "yourpass", "yourtoken", "yoursecret",
	"****", "xxxx", "...", "insert_", "replace_me", "replace-me", "replaceme",
	"sample", "notasecret", "not-a-secret", "not_a_secret", "todo",
}

// plainWords are whole values that are keywords or types, not secrets.
var plainWords = map[string]bool{
	"true": true, "false": true, "null": true, "nil": true, "none": true, "yes": true,
	"no": true, "on": true, "off": true, "string": true, "required": true, "optional": true,
	"secret": true, "password": true, "token": true, "undefined": true, "bool": true,
	"str": true, "[]byte": true, "boolean": true, "integer": true, "number": true,
}

// codeExpr matches unquoted values that are code, not literals:
// cfg.Password, os.Getenv("X"), self.token, password_from_vault.
var codeExpr = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|->|::)[A-Za-z_][A-Za-z0-9_]*)+\(?|^[A-Za-z_][A-Za-z0-9_.]*\(`)

// isReference reports whether v is a reference to a secret or a placeholder
// rather than a literal secret. It applies to every finding, gitleaks' too.
func isReference(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || v == `""` || v == "''" {
		return true
	}
	lower := strings.ToLower(v)
	for _, p := range refPrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	if strings.Contains(v, "${") || strings.Contains(v, "{{") || strings.Contains(v, "$(") {
		return true
	}
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	if strings.HasSuffix(v, "***") || plainWords[lower] ||
		(strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">")) {
		return true
	}
	return sameChar(v)
}

// sameChar reports whether v repeats one character, like "aaaaaaaa" or "000000".
func sameChar(v string) bool {
	first, _ := utf8.DecodeRuneInString(v)
	for _, r := range v {
		if r != first {
			return false
		}
	}
	return true
}

// isLiteralSecret reports whether a value found under a secret-named key is
// a literal worth reporting. quoted tells whether it was written in quotes:
// unquoted values that look like code (cfg.Password, os.Getenv(...)) are not.
func isLiteralSecret(v string, quoted bool) bool {
	if utf8.RuneCountInString(v) < minValueLen || isReference(v) {
		return false
	}
	if !quoted && codeExpr.MatchString(v) {
		return false
	}
	if isDigits(v) || (strings.HasPrefix(v, "/") && !strings.ContainsAny(v, " :@")) {
		// A number is a size or a port; an absolute path names a secret file.
		return false
	}
	return true
}

func isDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// mask shows at most the first four characters of secret and "****": none
// for secrets shorter than 8 characters, two below 16, so that a mask never
// gives away a large share of a short secret.
func mask(secret string) string {
	n := utf8.RuneCountInString(secret)
	show := 4
	switch {
	case n < 8:
		show = 0
	case n < 16:
		show = 2
	}
	return string([]rune(secret)[:show]) + "****"
}
