package export

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gantryhq/gantry/internal/spec"
)

// dashboardUID is fixed so that re-importing replaces the dashboard.
const dashboardUID = "gantry-pipelines"

// schemaVersion is the Grafana dashboard schema the JSON is written for
// (Grafana 10.x); newer Grafanas migrate it on load.
const schemaVersion = 39

// A Grafana dashboard, with only the fields Gantry sets. Maps are used for
// free-form option blocks; encoding/json sorts their keys, so the output
// stays deterministic.
type dashboard struct {
	Annotations   map[string]any `json:"annotations"`
	Description   string         `json:"description"`
	Editable      bool           `json:"editable"`
	GraphTooltip  int            `json:"graphTooltip"`
	Links         []any          `json:"links"`
	Panels        []panel        `json:"panels"`
	Refresh       string         `json:"refresh"`
	SchemaVersion int            `json:"schemaVersion"`
	Tags          []string       `json:"tags"`
	Templating    templating     `json:"templating"`
	Time          timeRange      `json:"time"`
	Timezone      string         `json:"timezone"`
	Title         string         `json:"title"`
	UID           string         `json:"uid"`
	Version       int            `json:"version"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type templating struct {
	List []variable `json:"list"`
}

type variable struct {
	AllValue    string         `json:"allValue,omitempty"`
	Current     map[string]any `json:"current"`
	Datasource  *datasource    `json:"datasource,omitempty"`
	Definition  string         `json:"definition,omitempty"`
	Hide        int            `json:"hide"`
	IncludeAll  bool           `json:"includeAll"`
	Label       string         `json:"label"`
	Multi       bool           `json:"multi"`
	Name        string         `json:"name"`
	Options     []any          `json:"options"`
	Query       string         `json:"query"`
	Refresh     int            `json:"refresh"`
	Regex       string         `json:"regex"`
	Sort        int            `json:"sort"`
	Type        string         `json:"type"`
	SkipURLSync bool           `json:"skipUrlSync"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// promDatasource is the dashboard's data-source variable.
var promDatasource = &datasource{Type: "prometheus", UID: "${datasource}"}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type panel struct {
	Datasource  *datasource    `json:"datasource"`
	Description string         `json:"description,omitempty"`
	FieldConfig fieldConfig    `json:"fieldConfig"`
	GridPos     gridPos        `json:"gridPos"`
	ID          int            `json:"id"`
	Options     map[string]any `json:"options"`
	Targets     []target       `json:"targets"`
	Title       string         `json:"title"`
	Type        string         `json:"type"`
}

type fieldConfig struct {
	Defaults  map[string]any `json:"defaults"`
	Overrides []any          `json:"overrides"`
}

type target struct {
	Datasource   *datasource `json:"datasource"`
	Expr         string      `json:"expr"`
	Instant      bool        `json:"instant,omitempty"`
	LegendFormat string      `json:"legendFormat"`
	Range        bool        `json:"range"`
	RefID        string      `json:"refId"`
}

// GrafanaDashboard renders a Grafana dashboard over Gantry's metrics.
// pipelines supply the per-pipeline thresholds drawn on the freshness and
// row-count panels.
func GrafanaDashboard(pipelines []*spec.Pipeline) ([]byte, error) {
	d := dashboard{
		Annotations: map[string]any{"list": []any{}},
		Description: "Gantry pipelines: run duration, errors, row counts, freshness and the server's queues. " +
			"Written by `gantry export grafana-dashboard`.",
		Editable:      true,
		GraphTooltip:  1, // shared crosshair
		Links:         []any{},
		Panels:        layout(panels(sortedPipelines(pipelines))),
		Refresh:       "1m",
		SchemaVersion: schemaVersion,
		Tags:          []string{"gantry"},
		Templating:    templating{List: []variable{datasourceVariable(), pipelineVariable(), envVariable()}},
		Time:          timeRange{From: "now-7d", To: "now"},
		Timezone:      "browser",
		Title:         "Gantry pipelines",
		UID:           dashboardUID,
		Version:       1,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep PromQL's < and > readable
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode dashboard: %w", err)
	}
	return buf.Bytes(), nil
}

func datasourceVariable() variable {
	return variable{
		Current: map[string]any{}, Label: "Data source", Name: "datasource",
		Options: []any{}, Query: "prometheus", Refresh: 1, Type: "datasource",
	}
}

// pipelineQuery lists the pipelines that have finished a run.
const pipelineQuery = "label_values(gantry_runs_total, pipeline)"

func pipelineVariable() variable { return queryVariable("pipeline", "Pipeline", pipelineQuery) }

// envQuery lists the environments the selected pipelines finished runs
// in. A run outside any deploy environment has no env label and is
// shown under All only.
const envQuery = `label_values(gantry_runs_total{pipeline=~"$pipeline"}, env)`

func envVariable() variable { return queryVariable("env", "Environment", envQuery) }

// queryVariable is a multi-select template variable, All by default,
// whose values come from a label_values query.
func queryVariable(name, label, query string) variable {
	return variable{
		AllValue:   ".*",
		Current:    map[string]any{"selected": true, "text": []string{"All"}, "value": []string{"$__all"}},
		Datasource: promDatasource,
		Definition: query,
		IncludeAll: true,
		Label:      label,
		Multi:      true,
		Name:       name,
		Options:    []any{},
		Query:      query,
		Refresh:    2, // on time range change
		Sort:       1, // alphabetical
		Type:       "query",
	}
}

// layout numbers panels in order and places them two to a row, 8 high,
// except that a panel asking for a width keeps it.
func layout(ps []panel) []panel {
	x, y := 0, 0
	for i := range ps {
		p := &ps[i]
		p.ID = i + 1
		w := p.GridPos.W
		if w == 0 {
			w = 12
		}
		if x+w > 24 {
			x, y = 0, y+8
		}
		p.GridPos = gridPos{H: 8, W: w, X: x, Y: y}
		x += w
	}
	return ps
}
