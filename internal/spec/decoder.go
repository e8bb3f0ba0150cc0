package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a yaml.Node tree strictly, collecting every error with its
// position instead of stopping at the first.
type decoder struct {
	file    string
	errs    Errors
	pos     map[string]Pos
	aliases *aliasBudget // set by parseDocument
	dir     string       // the project folder on disk, or "" for bytes from elsewhere
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]Pos{}, aliases: &aliasBudget{}}
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs.add(d.file, posOf(n), path, "", format, args...)
}

func (d *decoder) hintf(n *yaml.Node, path, hint, format string, args ...any) {
	d.errs.add(d.file, posOf(n), path, hint, format, args...)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parseDocument parses data into the root value node of its only document,
// refusing data over MaxFileSize. Decoding into a yaml.Node keeps aliases
// as AliasNodes (yaml.v3 expands nothing), so parsing costs what the
// bytes do; the walk after it pays for aliases from d.aliases.
func (d *decoder) parseDocument(data []byte) *yaml.Node {
	if len(data) > MaxFileSize {
		d.errs = append(d.errs, sizeError(d.file, int64(len(data)), true))
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errs.add(d.file, Pos{}, "", "", "file is empty")
			return nil
		}
		d.syntaxError(data, err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errs.add(d.file, posOf(&extra), "", "", "more than one YAML document; a file holds one")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(data, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		d.errs.add(d.file, Pos{}, "", "", "file is empty")
		return nil
	}
	d.aliases = newAliasBudget(&doc)
	root := d.resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		d.errs.add(d.file, posOf(root), "", "", "file is empty")
		return nil
	}
	return root
}

func (d *decoder) syntaxError(data []byte, err error) {
	msg := err.Error()
	var p Pos
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	p.Line = syntaxLine(data, msg, p.Line)
	// yaml.v3 says "found a tab character that violates indentation" or,
	// for a tab before a sequence entry, "found character that cannot
	// start any token": either way a tab in the line's indentation is it.
	if tp, ok := tabIndentOn(data, p.Line); ok || strings.Contains(msg, "tab character") {
		if !ok {
			tp, ok = tabIndent(data, p.Line)
		}
		if ok {
			d.errs.add(d.file, tp, "", "indent with spaces", "invalid YAML: tabs are not allowed in YAML indentation")
			return
		}
	}
	d.errs.add(d.file, p, "", "", "invalid YAML: %s", msg)
}

// resolve follows aliases to the node they name, paying for each from the
// alias budget. Once that is spent it returns an empty node of the same
// kind, so that the walk ends soon after, and the decoder reports only
// the budget's error (see result).
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		if !d.aliases.spend(n) {
			return &yaml.Node{Kind: n.Alias.Kind, Tag: n.Alias.Tag, Line: n.Line, Column: n.Column}
		}
		n = n.Alias
	}
	return n
}

// result returns the errors found, or only the alias budget's when that
// ran out: what the walk reported after it is an artefact of the cut.
func (d *decoder) result() error {
	if d.aliases.over != nil {
		return Errors{d.aliases.err(d.file)}
	}
	return d.errs.Err()
}

// describe says what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!str":
			return fmt.Sprintf("%q", clip(n.Value))
		default:
			return clip(n.Value)
		}
	}
	return "an alias"
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:37]) + "..."
	}
	return s
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// field is one key of a mapping and its value.
type field struct {
	Key      string
	KeyNode  *yaml.Node
	Value    *yaml.Node
	Path     string
	KeyIndex int
}

// mapping returns the entries of a mapping node, checking for duplicate
// keys and, when keys is not nil, rejecting keys not in it with a
// did-you-mean hint. It records every key's position under its path.
func (d *decoder) mapping(n *yaml.Node, path string, keys []string) ([]field, bool) {
	n = d.resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return nil, false
	}
	seen := map[string]int{}
	var out []field
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "a key must be a plain name, got %s", describe(k))
			continue
		}
		p := join(path, k.Value)
		if keys != nil && !contains(keys, k.Value) {
			d.hintf(k, p, didYouMean(k.Value, keys), "unknown key %q", k.Value)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, p, "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		d.pos[p] = posOf(k)
		out = append(out, field{Key: k.Value, KeyNode: k, Value: v, Path: p, KeyIndex: i / 2})
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sequence returns the items of a list node.
func (d *decoder) sequence(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = d.resolve(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", describe(n))
		return nil, false
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = d.resolve(c)
	}
	return out, true
}

// scalar returns a scalar's text; null and collections are errors.
func (d *decoder) scalar(n *yaml.Node, path, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, path, "expected %s, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	s, ok := d.scalar(n, path, "a string")
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(n, path, "must not be empty")
		return "", false
	}
	return s, ok
}

func (d *decoder) strMatching(n *yaml.Node, path string, re matcher, what string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !re.MatchString(s) {
		hint := ""
		if l := strings.ToLower(s); l != s && re.MatchString(l) {
			hint = fmt.Sprintf("did you mean %q?", l)
		}
		d.hintf(n, path, hint, "invalid %s %q: %s", what, clip(s), describeRe(re))
		return "", false
	}
	return s, true
}

func (d *decoder) oneOf(n *yaml.Node, path string, allowed []string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !contains(allowed, s) {
		d.hintf(n, path, didYouMean(s, allowed), "%q is not one of %s", clip(s), strings.Join(allowed, ", "))
		return "", false
	}
	return s, true
}

func (d *decoder) integer(n *yaml.Node, path string, lo int64) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, path, "expected a whole number, got %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if err != nil {
		d.errorf(n, path, "number %s is out of range", clip(n.Value))
		return 0, false
	}
	if v < lo {
		d.errorf(n, path, "must be at least %d, got %d", lo, v)
		return 0, false
	}
	return v, true
}

// smallInt is integer bounded to what an int field sensibly holds.
func (d *decoder) smallInt(n *yaml.Node, path string, lo int64) (int, bool) {
	v, ok := d.integer(n, path, lo)
	if ok && v > 1_000_000 {
		d.errorf(n, path, "%d is too large", v)
		return 0, false
	}
	return int(v), ok
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, path, "expected true or false, got %s", describe(n))
		return false, false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
}

func (d *decoder) fraction(n *yaml.Node, path string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
		d.errorf(n, path, "expected a number between 0 and 1, got %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || v < 0 || v > 1 {
		d.errorf(n, path, "must be between 0 and 1, got %s", clip(n.Value))
		return 0, false
	}
	return v, true
}

// strList decodes a list of strings, each checked by re when not nil, and
// rejects duplicates. It records each item's position as path[i].
func (d *decoder) strList(n *yaml.Node, path string, re matcher, what string) []string {
	items, ok := d.sequence(n, path)
	if !ok {
		return nil
	}
	var out []string
	first := map[string]int{}
	for i, it := range items {
		p := index(path, i)
		var s string
		if re != nil {
			s, ok = d.strMatching(it, p, re, what)
		} else {
			s, ok = d.str(it, p)
		}
		if !ok {
			continue
		}
		if line, dup := first[s]; dup {
			d.errorf(it, p, "%q is listed twice (first at line %d)", s, line)
			continue
		}
		first[s] = it.Line
		d.pos[p] = posOf(it)
		out = append(out, s)
	}
	return out
}

// stringMap decodes a mapping of names to scalar values, as text.
func (d *decoder) stringMap(n *yaml.Node, path string) map[string]string {
	fields, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		if v, ok := d.scalar(f.Value, f.Path, "a value"); ok {
			out[f.Key] = v
		}
	}
	return out
}

var (
	nameRe        = NewCharPattern("a-z0-9", "a-z0-9_-", 63)
	datasetRe     = NewCharPattern("A-Za-z0-9", "A-Za-z0-9_.:/-", 200)
	envVarRe      = NewCharPattern("A-Za-z_", "A-Za-z0-9_", 128)
	secretRe      = NewCharPattern("A-Za-z0-9", "A-Za-z0-9_.-", 128)
	workerLabelRe = NewCharPattern("A-Za-z0-9_./-", "A-Za-z0-9_./-", 63)
)

func describeRe(re matcher) string {
	switch re {
	case nameRe:
		return "use lowercase letters, digits, '_' and '-', starting with a letter or digit, at most 63 characters"
	case datasetRe:
		return "use letters, digits and . _ : / -"
	case envVarRe:
		return "use letters, digits and '_', not starting with a digit"
	case secretRe:
		return "use letters, digits and . _ -"
	}
	return "does not match " + re.String()
}
