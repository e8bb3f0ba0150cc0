package secrets

import (
	"regexp/syntax"
	"slices"
	"strings"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/regexp"
)

// A ruleScanner runs one gitleaks rule over the lines that hold one of its
// keywords. Gitleaks itself runs a rule over a whole fragment as soon as a
// keyword appears anywhere in it, and short keywords such as "s." or "ey"
// appear in almost every file; feeding each rule only its own lines cut the
// time spent in regular expressions several times over.
type ruleScanner struct {
	rule config.Rule
	// wide rules can match across many lines (private key blocks, curl
	// commands continued over lines, Kubernetes Secret manifests); they see
	// the whole file once a keyword is in it.
	wide bool
	pool *detectorPool
	// need, when set, must hold for the file's text for the rule to run.
	need func(lower []byte) bool
}

// ruleIndex finds, in one pass over a file, the lines each rule must see:
// gitleaks' rules, generic-api-key's and Gantry's own share one trie of
// every keyword.
type ruleIndex struct {
	rules   []*ruleScanner
	trie    *ahocorasick.Trie
	uses    []keywordUse // by keyword number
	always  []int        // rules without keywords
	generic *detectorPool
}

// keywordUse is what finding one keyword means.
type keywordUse struct {
	rules   []int  // gitleaks rules (ix.rules) that have the keyword
	generic bool   // a keyword of generic-api-key
	gantry  uint64 // Gantry's rules that have it (bit i for gantryRules[i])
	assign  bool   // it ends a secret-named key (secret-assignment)
}

func newRuleIndex(rs ruleSets) *ruleIndex {
	ix := &ruleIndex{generic: newDetectorPool(rs.generic, 0)}
	ix.generic.fragMax = backtrackLimit(rs.generic.Rules[genericRuleID])
	ix.generic.pre = prefilterFor(rs.generic.Rules[genericRuleID])
	kwNum := map[string]int{}
	var kws []string
	use := func(k string) *keywordUse {
		num, ok := kwNum[k]
		if !ok {
			num = len(kws)
			kwNum[k] = num
			kws = append(kws, k)
			ix.uses = append(ix.uses, keywordUse{})
		}
		return &ix.uses[num]
	}
	for _, id := range rs.main.OrderedRules {
		r := rs.main.Rules[id]
		cfg := subConfig(rs.main)
		addRule(&cfg, r)
		for _, req := range r.RequiredRules {
			if rr, ok := rs.full.Rules[req.RuleID]; ok {
				addRule(&cfg, rr)
			}
		}
		n := len(ix.rules)
		rsc := &ruleScanner{rule: r, wide: isWide(r), pool: newDetectorPool(cfg, 0)}
		rsc.pool.pre = prefilterFor(r)
		rsc.need = ruleNeeds[r.RuleID]
		if !rsc.wide {
			rsc.pool.fragMax = backtrackLimit(r)
		}
		ix.rules = append(ix.rules, rsc)
		if len(r.Keywords) == 0 {
			ix.always = append(ix.always, n)
			continue
		}
		for _, k := range r.Keywords {
			u := use(strings.ToLower(k))
			u.rules = append(u.rules, n)
		}
	}
	for _, k := range rs.genericKeywords {
		use(k).generic = true
	}
	for ri, r := range gantryRules {
		for _, k := range r.keywords {
			u := use(k)
			u.gantry |= 1 << ri
			u.assign = u.assign || r.find != nil
		}
	}
	ix.trie = ahocorasick.NewTrieBuilder().AddStrings(kws).Build()
	return ix
}

// isWide reports whether r's pattern can reach past the line after the one
// its keyword is on.
func isWide(r config.Rule) bool {
	if r.Regex == nil || len(r.RequiredRules) > 0 {
		return true
	}
	p := r.Regex.String()
	for _, s := range []string{`(?s`, `[\s\S`, `\r\n`, `[\r\n]`, `\n]{`, `(?m`} {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

// scan runs every rule whose keywords are in lower over its lines, and
// Gantry's rules over theirs.
func (ix *ruleIndex) scan(display string, text, lower []byte, starts []int) []hit {
	var (
		lines   = make(map[int][]int) // rule → lines holding a keyword, in order, maybe repeated
		generic []int                 // lines generic-api-key must see, maybe repeated
		cands   []candidate           // lines Gantry's rules must see
		line    = 0
	)
	ix.trie.Walk(lower, func(end, _, pattern int64) bool {
		for line+1 < len(starts) && starts[line+1] <= int(end) {
			line++
		}
		u := &ix.uses[pattern]
		for _, r := range u.rules {
			if l := lines[r]; len(l) == 0 || l[len(l)-1] != line {
				lines[r] = append(l, line)
			}
		}
		if u.generic {
			generic = genericLines(generic, lower, starts, line, int(end)+1)
		}
		if u.gantry != 0 {
			if len(cands) == 0 || cands[len(cands)-1].line != line {
				cands = append(cands, candidate{line: line})
			}
			c := &cands[len(cands)-1]
			c.rules |= u.gantry
			if u.assign {
				c.keyEnds = append(c.keyEnds, int(end)+1-starts[line])
			}
		}
		return true
	})
	for _, r := range ix.always {
		lines[r] = nil
	}
	var out []hit
	for r, ls := range lines {
		rs := ix.rules[r]
		if rs.rule.Path != nil && !rs.rule.Path.MatchString(display) {
			continue
		}
		if rs.need != nil && !rs.need(lower) {
			continue
		}
		if rs.wide || ls == nil {
			out = append(out, rs.pool.scan(display, text, starts, nil)...)
			continue
		}
		out = append(out, rs.pool.scan(display, text, starts, withNext(ls, len(starts)))...)
	}
	if len(generic) > 0 {
		slices.Sort(generic)
		out = append(out, ix.generic.scan(display, text, starts, slices.Compact(generic))...)
	}
	return append(out, gantryHits(display, text, lower, starts, cands)...)
}

// withNext adds to sorted lines the line after each: a rule's pattern may
// let white space, a newline too, stand between a key and its value.
func withNext(lines []int, n int) []int {
	out := make([]int, 0, 2*len(lines))
	for _, l := range lines {
		if len(out) == 0 || out[len(out)-1] < l {
			out = append(out, l)
		}
		if l+1 < n {
			out = append(out, l+1)
		}
	}
	return out
}

// backtrackLimit is the largest fragment on which Go's regexp runs r with
// its backtracker, several times faster than its NFA on most of gitleaks'
// patterns; 0 when that does not apply (another engine, or no pattern).
func backtrackLimit(r config.Rule) int {
	if r.Regex == nil || regexp.Version != "stdlib" {
		return 0
	}
	re, err := syntax.Parse(r.Regex.String(), syntax.Perl)
	if err != nil {
		return 0
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil || len(prog.Inst) == 0 {
		return 0
	}
	// regexp's maxBacktrackVector is 256 Kib: inputs up to this length fit.
	return max(256*1024/len(prog.Inst)-1, 0)
}
