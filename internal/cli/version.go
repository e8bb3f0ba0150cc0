package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// BuildInfo is what gantry version says of the binary.
type BuildInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	Module    string `json:"module,omitempty"`
	Revision  string `json:"revision,omitempty"`    // the commit it was built from
	Time      string `json:"time,omitempty"`        // the commit's time
	Modified  bool   `json:"modified,omitempty"`    // built from a work tree with changes
	Settings  string `json:"build_flags,omitempty"` // -tags, -trimpath, CGO_ENABLED, ...
}

// buildInfo reads the binary's own build information.
func buildInfo() BuildInfo {
	b := BuildInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module = bi.Main.Path
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		b.Version = v
	}
	var flags []string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "-tags", "-trimpath", "CGO_ENABLED", "-ldflags":
			if s.Value != "" {
				flags = append(flags, s.Key+"="+s.Value)
			}
		}
	}
	for i, f := range flags {
		if i > 0 {
			b.Settings += " "
		}
		b.Settings += f
	}
	return b
}

func newVersionCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Print gantry's version and how the binary was built (Go, platform, commit)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			b := buildInfo()
			return render(c, b, func(w io.Writer) error {
				tw := newTable(w)
				fmt.Fprintf(tw, "gantry\t%s\n", b.Version)
				fmt.Fprintf(tw, "go\t%s\n", b.GoVersion)
				fmt.Fprintf(tw, "platform\t%s\n", b.Platform)
				commit := orDash(b.Revision)
				if b.Time != "" {
					commit += " (" + b.Time + ")"
				}
				if b.Modified {
					commit += ", with uncommitted changes"
				}
				fmt.Fprintf(tw, "commit\t%s\n", commit)
				if b.Settings != "" {
					fmt.Fprintf(tw, "built with\t%s\n", b.Settings)
				}
				return tw.Flush()
			})
		},
	}
	addOutput(c)
	return c
}
