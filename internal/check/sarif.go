package check

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"
)

// SARIF 2.1.0, as much of it as the report needs.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		Name                 string       `json:"name"`
		ShortDescription     sarifText    `json:"shortDescription"`
		FullDescription      sarifText    `json:"fullDescription"`
		Help                 sarifText    `json:"help"`
		DefaultConfiguration sarifRuleCfg `json:"defaultConfiguration"`
	}
	sarifRuleCfg struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID       string             `json:"ruleId"`
		RuleIndex    int                `json:"ruleIndex"`
		Level        string             `json:"level"`
		Message      sarifText          `json:"message"`
		Locations    []sarifLocation    `json:"locations,omitempty"`
		Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           sarifRegion   `json:"region"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification"`
	}
)

// WriteSARIF writes the report as a SARIF 2.1.0 log with one run. Every
// rule is listed with its help text; artifact URIs are relative to the
// project folder. Suppressed findings are results with a suppression.
func WriteSARIF(w io.Writer, rep *Report) error {
	index := map[string]int{}
	driver := sarifDriver{Name: "gantry", InformationURI: "https://github.com/gantryhq/gantry"}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			Name:                 r.ID,
			ShortDescription:     sarifText{r.Title},
			FullDescription:      sarifText{r.Title},
			Help:                 sarifText{r.Explain},
			DefaultConfiguration: sarifRuleCfg{sarifLevel(r.Severity)},
		})
	}
	results := []sarifResult{}
	for _, f := range rep.Findings {
		results = append(results, sarifResultOf(f, index))
	}
	for _, s := range rep.Suppressed {
		res := sarifResultOf(s.Finding, index)
		// Written beside the finding (FILE:LINE of its own file), or in a
		// file of suppressions (.gantry-ignore.yaml, a baseline).
		kind := "external"
		if strings.HasPrefix(s.Source, s.Finding.File+":") {
			kind = "inSource"
		}
		res.Suppressions = []sarifSuppression{{Kind: kind, Justification: s.Reason}}
		results = append(results, res)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func sarifResultOf(f Finding, index map[string]int) sarifResult {
	msg := f.Message
	if f.Fix != "" {
		msg += " (fix: " + f.Fix + ")"
	}
	res := sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity), Message: sarifText{msg}}
	if f.File != "" {
		res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: (&url.URL{Path: f.File}).String()},
			Region:           sarifRegion{StartLine: max(f.Line, 1), StartColumn: max(f.Col, 1)},
		}}}
	}
	return res
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}
