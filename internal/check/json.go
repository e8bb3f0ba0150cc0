package check

import (
	"encoding/json"
	"io"
)

// JSONVersion is the version of the JSON report format; see the package
// documentation.
const JSONVersion = 1

type jsonReport struct {
	Version    int          `json:"version"`
	Findings   []Finding    `json:"findings"`
	Suppressed []Suppressed `json:"suppressed"`
	Files      []string     `json:"files"`
	Summary    jsonSummary  `json:"summary"`
}

type jsonSummary struct {
	Passed     bool `json:"passed"`
	Errors     int  `json:"errors"`
	Warnings   int  `json:"warnings"`
	Info       int  `json:"info"`
	Files      int  `json:"files"`
	Suppressed int  `json:"suppressed"`
}

// WriteJSON writes the report as the documented, stable JSON format.
func WriteJSON(w io.Writer, rep *Report) error {
	out := jsonReport{
		Version:    JSONVersion,
		Findings:   nonNil(rep.Findings),
		Suppressed: nonNil(rep.Suppressed),
		Files:      nonNil(rep.Files),
		Summary: jsonSummary{
			Passed:     rep.Passed(),
			Errors:     rep.Count(SeverityError),
			Warnings:   rep.Count(SeverityWarning),
			Info:       rep.Count(SeverityInfo),
			Files:      len(rep.Files),
			Suppressed: len(rep.Suppressed),
		},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
