package runbook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/alert/routing"
)

// doc is a runbook split at its generated parts: the text before the
// first, then each part with the person's text after it.
type doc struct {
	lead  string
	parts []part // tail: what follows the part up to the next one
}

var beginRe = regexp.MustCompile(`(?m)^<!-- gantry:begin ([a-z0-9-]+) -->[ \t]*\n`)

// split reads a runbook Generate or Update wrote. A part whose end
// marker is missing runs to the next part.
func split(text string) (doc, bool) {
	locs := beginRe.FindAllStringSubmatchIndex(text, -1)
	if len(locs) == 0 {
		return doc{lead: text}, false
	}
	d := doc{lead: text[:locs[0][0]]}
	for i, l := range locs {
		key := text[l[2]:l[3]]
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		body := text[l[1]:end]
		gen, tail := body, ""
		if j := strings.Index(body, endMark+key+" -->"); j >= 0 {
			gen = body[:j]
			tail = body[j+len(endMark+key+" -->"):]
			tail = strings.TrimPrefix(tail, "\n")
		}
		d.parts = append(d.parts, part{key: key, text: gen, tail: tail})
	}
	return d, true
}

// Update regenerates the generated parts of an existing runbook and keeps
// what a person wrote: the text after each part stays after the part of
// that key. A part no longer generated (its mode gone) keeps its
// person's text at the end, under a heading that says so. A runbook with
// no generated parts is adopted: see adopt.
func Update(existing string, in Input) string {
	fresh := parts(in)
	old, ok := split(existing)
	if !ok {
		return render(adopt(existing, fresh))
	}
	tails := map[string]string{}
	for _, p := range old.parts {
		tails[p.key] = p.tail
	}
	for i := range fresh {
		if t, ok := tails[fresh[i].key]; ok {
			fresh[i].tail = t
		}
	}
	var orphans []string
	for _, p := range old.parts {
		gone := !slices.ContainsFunc(fresh, func(f part) bool { return f.key == p.key })
		if gone && strings.TrimSpace(p.tail) != "" {
			orphans = append(orphans, fmt.Sprintf("From the former `%s` section:\n\n%s", p.key, strings.Trim(p.tail, "\n")))
		}
	}
	out := strings.TrimLeft(old.lead, "\n") + render(fresh)
	if len(orphans) > 0 {
		out += "\n## Notes from sections no longer generated\n\n" + strings.Join(orphans, "\n\n") + "\n"
	}
	return out
}

// adopt places a runbook written by hand into the generated one: its
// text before the first section follows the overview (its title line
// dropped), and each of its sections follows the generated section of
// the mode its heading names, one level deeper, in the person's words;
// a section that names no mode stays a section of its own after the
// overview. Their text replaces what the generated parts would ask a
// person to fill.
func adopt(text string, fresh []part) []part {
	intro, sections := sectionsOf(text)
	byKey := map[string][]string{}
	var unmatched []string
	for _, s := range sections {
		key := keyFor(s.heading, fresh)
		if key == "" {
			unmatched = append(unmatched, s.text)
			continue
		}
		if routing.Slug(s.heading) == key {
			// The generated heading says the same: keep the words only.
			_, body, _ := strings.Cut(s.text, "\n")
			byKey[key] = append(byKey[key], strings.Trim(body, "\n"))
			continue
		}
		byKey[key] = append(byKey[key], demote(s.text))
	}
	for i := range fresh {
		var add []string
		switch fresh[i].key {
		case "overview":
			if strings.TrimSpace(intro) != "" {
				add = append(add, strings.Trim(intro, "\n"))
			}
			add = append(add, unmatched...)
		default:
			add = byKey[fresh[i].key]
		}
		if len(add) > 0 {
			fresh[i].tail = "\n" + strings.Join(add, "\n\n")
		}
	}
	return fresh
}

// handSection is one level-2 section of a hand-written runbook.
type handSection struct {
	heading, text string
}

var headingRe = regexp.MustCompile(`^#{1,5}[ \t]`)

var h2Re = regexp.MustCompile(`^##[ \t]+(.*?)[ \t#]*$`)

// sectionsOf splits Markdown at its level-2 headings outside code
// fences; the intro is what comes before the first, without the title.
func sectionsOf(text string) (string, []handSection) {
	var intro []string
	var out []handSection
	fence := ""
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		t := strings.TrimLeft(line, " ")
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			switch {
			case fence == "":
				fence = t[:3]
			case strings.HasPrefix(t, fence):
				fence = ""
			}
		}
		if m := h2Re.FindStringSubmatch(line); m != nil && fence == "" {
			out = append(out, handSection{heading: m[1], text: line})
			continue
		}
		switch {
		case len(out) > 0:
			out[len(out)-1].text += "\n" + line
		case fence == "" && strings.HasPrefix(line, "# "):
			// the title: the generated one replaces it
		default:
			intro = append(intro, line)
		}
	}
	for i := range out {
		out[i].text = strings.TrimRight(out[i].text, "\n")
	}
	return strings.Join(intro, "\n"), out
}

// ownWords name the generated sections that are not alert anchors.
var ownWords = map[string]*regexp.Regexp{
	"source-unavailable": regexp.MustCompile(`source|upstream|unavailable`),
	"schema-drift":       regexp.MustCompile(`\bschema\b|\bdrift|\bformat\b`),
	"backfill":           regexp.MustCompile(`backfill`),
	"first-look":         regexp.MustCompile(`first look|triage|overview`),
}

// keyFor is the generated part whose mode a hand-written heading names:
// the specific modes first, "failed" (which most headings say) last.
func keyFor(heading string, fresh []part) string {
	h := strings.ToLower(heading)
	h = strings.TrimSpace(strings.TrimPrefix(h, "failure:"))
	has := func(key string) bool {
		return slices.ContainsFunc(fresh, func(p part) bool { return p.key == key })
	}
	for _, p := range fresh {
		if routing.Slug(h) == p.key {
			return p.key
		}
	}
	order := []string{"source-unavailable", "schema-drift", "timeout", "out-of-memory", "lost-attempt", "row-count",
		"sla-missed", "stale-data", "dead-letters", "rollback", "backfill", "slow-run", "retries", "first-look", "task-failed"}
	for _, key := range order {
		if !has(key) {
			continue
		}
		if re, ok := ownWords[key]; ok && re.MatchString(h) {
			return key
		}
		for _, a := range routing.Anchors {
			if a.Anchor == key && a.Names(h) {
				return key
			}
		}
	}
	return ""
}

// demote puts a section's headings one level deeper.
func demote(text string) string {
	lines := strings.Split(text, "\n")
	fence := false
	for i, l := range lines {
		t := strings.TrimLeft(l, " ")
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = !fence
		}
		if !fence && headingRe.MatchString(l) {
			lines[i] = "#" + l
		}
	}
	return strings.Join(lines, "\n")
}
