package spec

import "strconv"

// A CharPattern matches a name: one character of a first set, then up to
// max-1 of a rest set — what ^[first][rest]{0,max-1}$ matches. It is a
// table lookup per byte. A regexp with a bounded repetition compiles to
// one instruction per repeat ({0,199} is 199 copies): the six of them
// cost every gantry command ~600 KB and milliseconds to build before it
// read a file.
type CharPattern struct {
	first, rest [256]bool
	max         int
	src         string // the regexp it stands for, for messages
}

// NewCharPattern builds a pattern from sets written as in a regexp class
// (a-z0-9_-: ranges, and '-' last as itself).
func NewCharPattern(first, rest string, max int) *CharPattern {
	p := &CharPattern{max: max}
	p.src = "^[" + first + "][" + rest + "]{0," + strconv.Itoa(max-1) + "}$"
	fill(&p.first, first)
	fill(&p.rest, rest)
	return p
}

func fill(set *[256]bool, class string) {
	for i := 0; i < len(class); i++ {
		if i+2 < len(class) && class[i+1] == '-' {
			for c := int(class[i]); c <= int(class[i+2]); c++ {
				set[c] = true
			}
			i += 2
			continue
		}
		set[class[i]] = true
	}
}

// MatchString reports whether s is such a name.
func (p *CharPattern) MatchString(s string) bool {
	if len(s) == 0 || len(s) > p.max || !p.first[s[0]] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !p.rest[s[i]] {
			return false
		}
	}
	return true
}

// String is the regexp the pattern stands for.
func (p *CharPattern) String() string { return p.src }

// matcher is what a string value is checked against: a CharPattern, or a
// regexp for the shapes that are not names.
type matcher interface {
	MatchString(string) bool
	String() string
}
