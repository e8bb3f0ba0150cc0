package readiness

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Text writes r for a terminal.
func (r *Report) Text(w io.Writer) {
	fmt.Fprintf(w, "%s in %s: %s\n", r.Pipeline, r.Env, r.Verdict)
	fmt.Fprintf(w, "  revision %s (%s), assessed %s\n", orNone(short(r.Revision)), r.Subject, r.AssessedAt.Format(time.RFC3339))
	for _, c := range r.Criteria {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-10s %s\n", mark, c.ID, c.Summary)
		for _, why := range c.Reasons {
			fmt.Fprintf(w, "         - %s\n", why)
		}
		for _, n := range c.Notes {
			fmt.Fprintf(w, "         note: %s\n", n)
		}
	}
	fmt.Fprintln(w, "  coverage:")
	for _, c := range r.Coverage {
		fmt.Fprintf(w, "    %-13s %-19s %s\n", c.Mode, c.Alert, coverageCell(c))
	}
	if len(r.Channels) > 0 {
		fmt.Fprintln(w, "  channels:")
		for _, c := range r.Channels {
			fmt.Fprintf(w, "    %-16s %s\n", c.Channel, channelCell(c))
		}
	}
	if s := r.Sizing; s != nil && len(s.Tasks) > 0 {
		fmt.Fprintln(w, "  sizing:")
		s.rows(w, "    ")
	}
}

func coverageCell(c Coverage) string {
	var s string
	switch {
	case !c.Raised:
		return "not raised"
	case len(c.Channels) > 0:
		s = "→ " + strings.Join(c.Routes, ", ") + " → " + strings.Join(c.Channels, ", ")
	case c.Suppressed != "":
		s = "suppressed: " + c.Suppressed
	default:
		s = "NO CHANNEL"
	}
	for _, si := range c.Silences {
		s += fmt.Sprintf(" [silenced by %d until %s]", si.ID, si.Ends.Format(time.RFC3339))
	}
	return s
}

func channelCell(c ChannelTest) string {
	if c.LastOK.IsZero() {
		return "never test-fired successfully"
	}
	s := fmt.Sprintf("last test-fire %s by %s via %s", c.LastOK.Format(time.RFC3339), c.By, c.Route)
	if c.Outcome != "" {
		s += ": " + c.Outcome
	}
	if !c.OK {
		s += " (too old)"
	}
	return s
}

// Markdown writes r as a reviewer pastes it into a change request.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "## Readiness: %s in %s — **%s**\n\n", r.Pipeline, r.Env, r.Verdict)
	fmt.Fprintf(w, "Revision `%s` (%s), assessed %s.\n\n", orNone(short(r.Revision)), r.Subject, r.AssessedAt.Format(time.RFC3339))
	if len(r.Reasons) > 0 {
		fmt.Fprintln(w, "### Why not ready")
		fmt.Fprintln(w)
		for _, why := range r.Reasons {
			fmt.Fprintf(w, "- %s\n", mdEscape(why))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "### Criteria")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| | criterion | summary |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, c := range r.Criteria {
		mark := "✅"
		if !c.OK {
			mark = "❌"
		}
		sum := mdEscape(c.Summary)
		for _, n := range c.Notes {
			sum += "<br>note: " + mdEscape(n)
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", mark, c.ID, sum)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Alert coverage")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| mode | alert | routes | channels | silences |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, c := range r.Coverage {
		routes, channels := strings.Join(c.Routes, ", "), strings.Join(c.Channels, ", ")
		switch {
		case !c.Raised:
			routes = "not raised"
		case c.Suppressed != "":
			channels = "suppressed: " + mdEscape(c.Suppressed)
		case len(c.Channels) == 0:
			channels = "**none**"
		}
		var sil []string
		for _, s := range c.Silences {
			sil = append(sil, fmt.Sprintf("#%d until %s", s.ID, s.Ends.Format(time.RFC3339)))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", c.Mode, c.Alert, routes, channels, strings.Join(sil, ", "))
	}
	if len(r.Channels) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "### Channel test-fires")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| channel | last successful test-fire | by | outcome |")
		fmt.Fprintln(w, "|---|---|---|---|")
		for _, c := range r.Channels {
			at := "never"
			if !c.LastOK.IsZero() {
				at = c.LastOK.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", c.Channel, at, c.By, mdEscape(c.Outcome))
		}
	}
	if s := r.Sizing; s != nil && len(s.Tasks) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "### Sizing (%s)\n\n", mdEscape(s.Source))
		s.Markdown(w)
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Text writes s for a terminal.
func (s *Sizing) Text(w io.Writer) {
	fmt.Fprintf(w, "sizing of %s in %s, from %s\n", s.Pipeline, s.Env, s.Source)
	s.rows(w, "  ")
}

func (s *Sizing) rows(w io.Writer, indent string) {
	fmt.Fprintf(w, "%s%-16s %7s %9s %9s %9s %9s %7s %20s %5s  %s\n", indent, "task", "samples", "mem p50", "mem p95", "mem max", "limit", "cpu p95",
		"cpu time p50/p95/max", "ooms", "peak interval")
	for _, t := range s.Tasks {
		peak := "-"
		if t.Peak != nil {
			peak = fmt.Sprintf("%s run %d", t.Peak.Start.Format(time.DateOnly), t.Peak.RunID)
			if t.Peak.Rows > 0 {
				peak += fmt.Sprintf(", %d rows", t.Peak.Rows)
			}
			peak += ", " + Bytes(t.Peak.PeakMemory)
		}
		lim := "none"
		if t.MemoryLimit > 0 {
			lim = Bytes(t.MemoryLimit)
		}
		cpuTime := fmt.Sprintf("%s/%s/%s", ms(t.CPUTime.P50), ms(t.CPUTime.P95), ms(t.CPUTime.Max))
		fmt.Fprintf(w, "%s%-16s %7d %9s %9s %9s %9s %7s %20s %5d  %s\n", indent, t.Task, t.Samples, Bytes(t.Memory.P50), Bytes(t.Memory.P95),
			Bytes(t.Memory.Max), lim, millicores(t.CPU.P95), cpuTime, t.OOMs, peak)
		for _, f := range t.Findings {
			fmt.Fprintf(w, "%s  %s: %s\n%s    evidence: %s\n", indent, strings.ToUpper(strings.ReplaceAll(f.Kind, "_", "-")), f.Message, indent, f.Evidence)
		}
	}
}

// Markdown writes s as a table.
func (s *Sizing) Markdown(w io.Writer) {
	fmt.Fprintln(w, "| task | samples | memory p50 / p95 / max | limit | CPU p95 | CPU time p50 / p95 / max | OOMs | peak interval | finding |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, t := range s.Tasks {
		peak := ""
		if t.Peak != nil {
			peak = fmt.Sprintf("%s (run %d, %d rows)", t.Peak.Start.Format(time.DateOnly), t.Peak.RunID, t.Peak.Rows)
		}
		var fs []string
		for _, f := range t.Findings {
			fs = append(fs, mdEscape(f.Kind+": "+f.Message))
		}
		lim := "none"
		if t.MemoryLimit > 0 {
			lim = Bytes(t.MemoryLimit)
		}
		fmt.Fprintf(w, "| %s | %d | %s / %s / %s | %s | %s | %s / %s / %s | %d | %s | %s |\n", t.Task, t.Samples, Bytes(t.Memory.P50), Bytes(t.Memory.P95),
			Bytes(t.Memory.Max), lim, millicores(t.CPU.P95), ms(t.CPUTime.P50), ms(t.CPUTime.P95), ms(t.CPUTime.Max), t.OOMs, peak, strings.Join(fs, "<br>"))
	}
}

// millicores shows average cores in use with a unit: 250m, 2 cores.
func millicores(m int64) string {
	if m%1000 == 0 && m > 0 {
		return Cores(m) + " cores"
	}
	return strconv.FormatInt(m, 10) + "m"
}

// ms shows a CPU time in milliseconds as a duration: 12ms, 3.4s.
func ms(v int64) string {
	return (time.Duration(v) * time.Millisecond).String()
}
