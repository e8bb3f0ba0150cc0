package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// outputFormats are what -o takes; the first is the default.
var outputFormats = []string{"table", "json", "yaml"}

// outputAnnotation marks the -o flag addOutput adds, so that the root
// checks its value before the command runs (gantry check's own -o names
// a file).
const outputAnnotation = "gantry-output-format"

// addOutput adds -o/--output table|json|yaml to a list or show command;
// its RunE then ends with render.
func addOutput(c *cobra.Command) {
	c.Flags().StringP("output", "o", "table", "output format: table, json or yaml (json and yaml have the API's fields)")
	_ = c.Flags().SetAnnotation("output", outputAnnotation, []string{"true"})
}

// checkOutput refuses an -o that is not one of outputFormats.
func checkOutput(c *cobra.Command) error {
	f := c.Flags().Lookup("output")
	if f == nil || f.Annotations[outputAnnotation] == nil || slices.Contains(outputFormats, f.Value.String()) {
		return nil
	}
	return usageErr("-o %q: want table, json or yaml", f.Value.String())
}

// render writes v — the API's body for the same question, such as
// api.RunList — as -o asks: JSON, YAML with the same field names, or the
// table table writes.
func render(c *cobra.Command, v any, table func(w io.Writer) error) error {
	w := c.OutOrStdout()
	format, _ := c.Flags().GetString("output")
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		y, err := yaml.JSONToYAML(data)
		if err != nil {
			return fmt.Errorf("yaml: %w", err)
		}
		_, err = w.Write(y)
		return err
	default:
		return table(w)
	}
}
