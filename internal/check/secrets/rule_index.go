package secrets

import (
	"regexp/syntax"
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

// ruleIndex finds, in one pass over a file, the lines each rule must see.
type ruleIndex struct {
	rules    []*ruleScanner
	trie     *ahocorasick.Trie
	byKw     [][]int // keyword number → rules that use it
	always   []int   // rules without keywords
	generic  *detectorPool
	genericK []string
}

func newRuleIndex(rs ruleSets) *ruleIndex {
	ix := &ruleIndex{generic: newDetectorPool(rs.generic, 0), genericK: rs.genericKeywords}
	ix.generic.fragMax = backtrackLimit(rs.generic.Rules[genericRuleID])
	ix.generic.pre = prefilterFor(rs.generic.Rules[genericRuleID])
	kwNum := map[string]int{}
	var kws []string
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
			k = strings.ToLower(k)
			num, ok := kwNum[k]
			if !ok {
				num = len(kws)
				kwNum[k] = num
				kws = append(kws, k)
				ix.byKw = append(ix.byKw, nil)
			}
			ix.byKw[num] = append(ix.byKw[num], n)
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

// scan runs every rule whose keywords are in lower over its lines.
func (ix *ruleIndex) scan(display string, text, lower []byte, starts []int) []hit {
	lines := make(map[int][]int) // rule → lines holding a keyword, in order, maybe repeated
	line := 0
	ix.trie.Walk(lower, func(end, _, pattern int64) bool {
		for line+1 < len(starts) && starts[line+1] <= int(end) {
			line++
		}
		for _, r := range ix.byKw[pattern] {
			if l := lines[r]; len(l) == 0 || l[len(l)-1] != line {
				lines[r] = append(l, line)
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
	if ls := keywordOperatorLines(lower, starts, ix.genericK); len(ls) > 0 {
		out = append(out, ix.generic.scan(display, text, starts, ls)...)
	}
	return out
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
