package secrets

import (
	"cmp"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/regexp"
	"github.com/zricethezav/gitleaks/v8/report"
)

const (
	// maxDecodeDepth matches the gitleaks command line: base64, hex and
	// percent-encoded secrets are decoded up to five levels deep.
	maxDecodeDepth = 5
	// chunkSize bounds one Detect call. Detect's cost grows faster than
	// linearly with fragment size (every match walks the fragment's newline
	// list), so large files go in line-aligned chunks.
	chunkSize = 256 << 10
	// pemBlockMax is how far back a chunk cut looks for an open
	// "-----BEGIN" line, so a private key block is not split in two.
	pemBlockMax = 64 << 10
)

// genericRuleID is gitleaks' catch-all rule. Its pattern is by far the most
// expensive of the defaults and its keywords (key, token, secret, ...) are
// on most lines of a CI file, so it runs apart, on the lines where one of
// its keywords is followed by an assignment operator.
const genericRuleID = "generic-api-key"

// ruleSets are gitleaks' default rules split for speed: main holds every
// rule but generic-api-key, each of which runs on its own keyword lines (see
// ruleIndex); generic runs on the lines its prefilter keeps; full, with
// decoding, runs over the lines that hold something that decodes.
type ruleSets struct {
	main, generic, full config.Config
	genericKeywords     []string
}

var (
	configOnce sync.Once
	configErr  error
	defaultSet ruleSets
)

// loadRuleSets compiles gitleaks' default rules once per process.
// Translate touches package-level state in gitleaks' config package, and
// compiling takes a tenth of a second or more, hence the Once.
func loadRuleSets() (ruleSets, error) {
	configOnce.Do(func() {
		logging.Logger = logging.Logger.Level(zerolog.ErrorLevel)
		v := viper.New()
		v.SetConfigType("toml")
		if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
			configErr = fmt.Errorf("read gitleaks config: %w", err)
			return
		}
		var vc config.ViperConfig
		if err := v.Unmarshal(&vc); err != nil {
			configErr = fmt.Errorf("decode gitleaks config: %w", err)
			return
		}
		full, err := vc.Translate()
		if err != nil {
			configErr = fmt.Errorf("compile gitleaks config: %w", err)
			return
		}
		defaultSet, configErr = splitRules(full)
	})
	return defaultSet, configErr
}

func splitRules(full config.Config) (ruleSets, error) {
	generic, ok := full.Rules[genericRuleID]
	if !ok {
		return ruleSets{}, fmt.Errorf("gitleaks config: no %s rule", genericRuleID)
	}
	rs := ruleSets{full: full, main: subConfig(full), generic: subConfig(full)}
	for id, r := range full.Rules {
		if id != genericRuleID {
			addRule(&rs.main, r)
		}
	}
	addRule(&rs.generic, generic)
	for _, k := range generic.Keywords {
		rs.genericKeywords = append(rs.genericKeywords, strings.ToLower(k))
	}
	return rs, nil
}

func subConfig(full config.Config) config.Config {
	c := full
	c.Rules = map[string]config.Rule{}
	c.Keywords = map[string]struct{}{}
	c.OrderedRules = nil
	return c
}

func addRule(c *config.Config, r config.Rule) {
	c.Rules[r.RuleID] = r
	c.OrderedRules = append(c.OrderedRules, r.RuleID)
	for _, k := range r.Keywords {
		c.Keywords[strings.ToLower(k)] = struct{}{}
	}
}

// detectorPool hands out detectors for one configuration. Building one
// compiles an Aho-Corasick trie of every keyword, which cost a tenth of
// the scan when done per file, so a few are kept for reuse. Reuse is safe
// because Detect, unlike DetectSource, keeps no findings in the detector;
// each scan still has a detector to itself.
type detectorPool struct {
	// fragMax bounds the fragments given to a detector; 0 means chunkSize.
	fragMax int
	// pre, when set, must match a fragment for Detect to be run on it.
	pre  *regexp.Regexp
	free chan *detect.Detector
	make func() *detect.Detector
}

func newDetectorPool(cfg config.Config, decodeDepth int) *detectorPool {
	return &detectorPool{
		free: make(chan *detect.Detector, 2*runtime.NumCPU()),
		make: func() *detect.Detector {
			d := detect.NewDetector(cfg)
			d.MaxDecodeDepth = decodeDepth
			return d
		},
	}
}

func (p *detectorPool) get() *detect.Detector {
	select {
	case d := <-p.free:
		return d
	default:
		return p.make()
	}
}

func (p *detectorPool) put(d *detect.Detector) {
	select {
	case p.free <- d:
	default:
	}
}

// scan runs a detector over the lines of text picked by lines (all of them
// when lines is nil), in chunks, and returns hits on original line numbers.
func (p *detectorPool) scan(display string, text []byte, starts []int, lines []int) []hit {
	d := p.get()
	defer p.put(d)
	frag, lineMap := gather(text, starts, lines)
	var out []hit
	first := 0 // index in lineMap of the chunk's first line
	for len(frag) > 0 {
		n := cutChunk(frag, cmp.Or(p.fragMax, chunkSize))
		chunk := frag[:n]
		toLine := func(l int) int {
			if lineMap != nil {
				return lineMap[first+l-1] + 1
			}
			return first + l
		}
		if p.pre == nil || p.pre.MatchString(chunk) {
			for _, f := range d.Detect(detect.Fragment{Raw: chunk, FilePath: display, StartLine: 1}) {
				if h, ok := fromGitleaks(display, toLine, f); ok {
					out = append(out, h)
				}
			}
		}
		first += strings.Count(chunk, "\n")
		frag = frag[n:]
	}
	return out
}

// gather returns the text of the chosen lines, in order, and each one's
// 0-based line number in text; all of text and a nil map when lines is nil.
func gather(text []byte, starts []int, lines []int) (string, []int) {
	if lines == nil {
		return string(text), nil
	}
	var b strings.Builder
	for _, l := range lines {
		end := len(text)
		if l+1 < len(starts) {
			end = starts[l+1]
		}
		b.Write(text[starts[l]:end])
		if end == len(text) && (end == starts[l] || text[end-1] != '\n') {
			b.WriteByte('\n')
		}
	}
	return b.String(), lines
}

// scanPathOnly runs the rules that match on a file's name alone (a .p12
// keystore, say) for files whose content is not scanned.
func (s *Scanner) scanPathOnly(display string) []hit {
	d := s.paths.get()
	defer s.paths.put(d)
	var out []hit
	for _, f := range d.Detect(detect.Fragment{FilePath: display, StartLine: 1}) {
		if h, ok := fromGitleaks(display, func(int) int { return 1 }, f); ok {
			out = append(out, h)
		}
	}
	return out
}

// cutChunk returns the length of the next chunk of text: at most limit bytes
// cut just after a newline, unless one line is longer than limit, and never
// inside a PEM block that starts in the chunk.
func cutChunk(text string, limit int) int {
	if len(text) <= limit {
		return len(text)
	}
	n := strings.LastIndexByte(text[:limit], '\n') + 1
	if n == 0 {
		// A single line longer than limit goes whole: cutting it would
		// shift columns and could split a secret.
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			return i + 1
		}
		return len(text)
	}
	from := max(0, n-pemBlockMax)
	if b := strings.LastIndex(text[from:n], "-----BEGIN"); b >= 0 {
		b += from
		if !strings.Contains(text[b:n], "-----END") {
			if ls := strings.LastIndexByte(text[:b], '\n') + 1; ls > 0 {
				return ls
			}
		}
	}
	return n
}

// fromGitleaks turns a gitleaks finding into a hit, or reports false when
// its secret is a reference or a placeholder.
func fromGitleaks(display string, toLine func(int) int, f report.Finding) (hit, bool) {
	pathOnly := f.Secret == "" && strings.HasPrefix(f.Match, "file detected")
	if !pathOnly && isReference(f.Secret) {
		return hit{}, false
	}
	if f.RuleID == genericRuleID && namesClientID(f.Match, f.Secret) {
		return hit{}, false
	}
	line, col := secretPosition(f)
	lineNo := toLine(max(f.StartLine, 1) + line)
	rank := rankGitleaks
	if strings.Contains(f.RuleID, "generic") {
		rank = rankGeneric
	}
	return hit{
		Finding: Finding{
			File:   display,
			Line:   lineNo,
			Col:    col,
			Rule:   "gitleaks." + f.RuleID,
			Desc:   f.Description,
			Masked: mask(f.Secret),
		},
		width: max(len(f.Secret), 1),
		rank:  rank,
		moved: line > 0,
	}, true
}

// secretPosition finds where f's secret starts: how many lines after the
// finding's first line, and the 1-based column. Gitleaks reports where the
// match starts, which for multi-line rules (a curl command continued over
// several lines) can be lines before the secret, and counts the newline
// before the line into the column for every line but a fragment's first.
func secretPosition(f report.Finding) (line, col int) {
	text := strings.TrimPrefix(f.Line, "\n")
	col = f.StartColumn
	if f.StartLine > 1 {
		col--
	}
	col = max(col, 1)
	if f.Secret == "" {
		return 0, col
	}
	i := -1
	if from := min(col-1, len(text)); from >= 0 {
		if j := strings.Index(text[from:], f.Secret); j >= 0 {
			i = from + j
		}
	}
	if i < 0 {
		i = strings.Index(text, f.Secret)
	}
	if i < 0 {
		// A decoded secret is not in the text: point at the match.
		return 0, col
	}
	line = strings.Count(text[:i], "\n")
	return line, i - (strings.LastIndexByte(text[:i], '\n') + 1) + 1
}

// namesClientID reports whether generic-api-key's match puts the secret
// under a key that names an OAuth client ID (OAUTH_CLIENT_ID, clientId):
// the "auth" in the name made it a keyword, but a client ID is public.
func namesClientID(match, secret string) bool {
	i := strings.Index(match, secret)
	if i < 0 {
		return false
	}
	key := strings.ToLower(strings.TrimRight(match[:i], " \t\r\n'\"`=:>|?,"))
	for _, s := range []string{"client_id", "clientid", "client-id", "client.id"} {
		if strings.HasSuffix(key, s) {
			return true
		}
	}
	return false
}
