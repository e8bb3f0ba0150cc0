package secrets

// LoadCorpus lets the gate's corpus test, in package secrets_test, read
// the labelled corpus.
var LoadCorpus = loadCorpus

// CorpusLine is one labelled line of the expanded corpus.
type CorpusLine = labelledLine

// Label returns the line's file, number and whether it is labelled a
// secret or benign.
func (l labelledLine) Label() (file string, line int, labelled, secret bool) {
	return l.file, l.line, l.labelled, l.secret
}

// GenerateRepo lets the gate's benchmark, in package secrets_test, write
// the mixed repository BenchmarkScan50MB scans.
var GenerateRepo = generateRepo
