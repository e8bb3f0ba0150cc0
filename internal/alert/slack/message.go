package slack

import (
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/alert"
	"github.com/gantryhq/gantry/internal/alert/notify"
)

// Slack's documented limits.
const (
	maxBlocks      = 50
	maxHeader      = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxButtonURL   = 3000
	blocksPerAlert = 6 // divider, header, test note, fields, details, actions
)

// Message is an incoming-webhook payload.
type Message struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks"`
}

// Block is one Block Kit layout block.
type Block struct {
	Type     string    `json:"type"`
	Text     *Text     `json:"text,omitempty"`
	Fields   []Text    `json:"fields,omitempty"`
	Elements []Element `json:"elements,omitempty"`
}

// Text is a text object: plain_text or mrkdwn.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Element is a button of an actions block, or a text of a context block.
type Element struct {
	Type     string `json:"type"`
	Text     any    `json:"text"`
	URL      string `json:"url,omitempty"`
	ActionID string `json:"action_id,omitempty"`
}

// Render builds the message for a group of already redacted alerts.
func Render(alerts []alert.Alert) Message {
	m := Message{Text: summaryText(alerts)}
	room := (maxBlocks - 1) / blocksPerAlert // keep one block for "and N more"
	for i, a := range alerts {
		if i == room && len(alerts) > room {
			more := fmt.Sprintf("…and %d more alerts in this group.", len(alerts)-room)
			m.Blocks = append(m.Blocks, Block{Type: "context", Elements: []Element{{Type: "mrkdwn", Text: more}}})
			break
		}
		if i > 0 {
			m.Blocks = append(m.Blocks, Block{Type: "divider"})
		}
		m.Blocks = append(m.Blocks, alertBlocks(a)...)
	}
	return m
}

func summaryText(alerts []alert.Alert) string {
	t := notify.Title(alerts[0])
	if len(alerts) > 1 {
		t += fmt.Sprintf(" (+%d more)", len(alerts)-1)
	}
	return escape(t)
}

func alertBlocks(a alert.Alert) []Block {
	bs := []Block{{Type: "header", Text: &Text{Type: "plain_text", Text: notify.Truncate(notify.Title(a), maxHeader)}}}
	if a.Test {
		note := "This is a test alert from `gantry alerts test`; nothing is broken."
		bs = append(bs, Block{Type: "context", Elements: []Element{{Type: "mrkdwn", Text: note}}})
	}
	var fields []Text
	for _, f := range []struct{ name, label string }{
		{"Pipeline", "pipeline"}, {"Env", "env"}, {"Owner", "owner"}, {"Severity", "severity"}, {"Task", "task"},
	} {
		if v := a.Labels[f.label]; v != "" {
			fields = append(fields, Text{Type: "mrkdwn", Text: notify.Truncate("*"+f.name+"*\n"+escape(v), maxFieldText)})
		}
	}
	if len(fields) > 0 {
		bs = append(bs, Block{Type: "section", Fields: fields})
	}
	if d := strings.TrimSpace(a.Details); d != "" {
		const fence = "```"
		d = strings.ReplaceAll(escape(d), fence, "'''") // a fence inside would end the block
		d = notify.LastLines(d, maxSectionText-2*len(fence)-2)
		bs = append(bs, Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: fence + "\n" + d + "\n" + fence}})
	}
	var buttons []Element
	for _, l := range []struct{ text, url, id string }{
		{"Open run", a.RunURL, "open_run"}, {"Runbook", a.RunbookURL, "open_runbook"},
	} {
		if l.url != "" && len(l.url) <= maxButtonURL {
			buttons = append(buttons, Element{Type: "button", Text: Text{Type: "plain_text", Text: l.text}, URL: l.url, ActionID: l.id})
		}
	}
	if len(buttons) > 0 {
		bs = append(bs, Block{Type: "actions", Elements: buttons})
	}
	return bs
}

// escape makes text safe for mrkdwn, where &, < and > are control
// characters (<!channel> would ping a whole channel).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
