package spec

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// Vars are the values a task's `run:` template can use:
//
//	{{ .Interval.Start }} {{ .Interval.End }} {{ .Params.NAME }}
//	{{ .RunID }} {{ .Task }} {{ .Attempt }} {{ .Env }}
//	{{ .Outputs.TASK.KEY }}  (what a task it needs reported: key=value
//	                          lines in $GANTRY_OUTPUT)
type Vars struct {
	Interval struct{ Start, End string }
	Params   map[string]string
	RunID    int64
	Task     string
	Attempt  int
	Env      string
	// Outputs are the figures the tasks before this one reported, by
	// task and key.
	Outputs map[string]map[string]string
}

// quoteFunc is appended to every printing action; it stands the value in
// for a marker that Render then replaces with a reference to the variable
// that carries the value (see shell_quote.go).
const quoteFunc = "gantry_shell_value"

const (
	markOpen  = '\uE000'
	markClose = '\uE001'
)

var varFields = map[string][]string{
	"Interval": {"Start", "End"},
	"Params":   nil,
	"RunID":    nil, "Task": nil, "Attempt": nil, "Env": nil, "Outputs": nil,
}

var varNames = []string{"Interval", "Params", "RunID", "Task", "Attempt", "Env", "Outputs"}

// Render executes a task's `run:` template. No value it substitutes
// enters the command: each printing action becomes a reference to an
// environment variable, GANTRY_TPL_1, GANTRY_TPL_2, … in the order the
// actions print, and env holds those variables as KEY=VALUE for the
// command's environment. So a parameter of `$(rm -rf /)` prints as that
// text and runs nothing, whether the action stands bare, in quotes, in
// $( ), backticks, ${x:-…} or a here-document:
//
//	echo "at {{ .Interval.Start }}"  →  echo "at ${GANTRY_TPL_1}"
//
// The command is readable as it is; the values are in env.
func Render(run string, v Vars) (cmd string, env []string, err error) {
	if !strings.Contains(run, "{{") {
		// No action: the command is its text, as executing it would
		// print, without parsing a template for every attempt.
		if err := checkReserved(run); err != nil {
			return "", nil, err
		}
		return run, nil, nil
	}
	var vals []string
	t, err := parseTemplate(run, func(x any) string {
		vals = append(vals, fmt.Sprint(x))
		return string(markOpen) + strconv.Itoa(len(vals)-1) + string(markClose)
	})
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return "", nil, fmt.Errorf("render: %s", cleanTemplateErr(err))
	}
	cmd, err = referenceValues(b.String(), vals)
	if err != nil {
		return "", nil, fmt.Errorf("render: %w", err)
	}
	env = make([]string, len(vals))
	for i, val := range vals {
		if strings.ContainsRune(val, 0) {
			return "", nil, errors.New("render: a template value contains a NUL byte")
		}
		env[i] = TemplateVar(i+1) + "=" + val
	}
	return cmd, env, nil
}

// checkReserved refuses the characters Render marks values with.
func checkReserved(run string) error {
	if strings.ContainsAny(run, string([]rune{markOpen, markClose})) {
		return errors.New("contains reserved characters U+E000/U+E001")
	}
	return nil
}

// parseTemplate parses run and routes the output of every printing action
// through quote.
func parseTemplate(run string, quote func(any) string) (*template.Template, error) {
	if err := checkReserved(run); err != nil {
		return nil, err
	}
	t, err := template.New("run").Option("missingkey=error").
		Funcs(template.FuncMap{quoteFunc: quote}).Parse(run)
	if err != nil {
		return nil, errors.New(cleanTemplateErr(err))
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("{{ define }} and {{ block }} are not supported")
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return t, nil
	}
	if err := wrapActions(t.Tree, t.Tree.Root); err != nil {
		return nil, err
	}
	return t, nil
}

func wrapActions(tree *parse.Tree, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := wrapActions(tree, c); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) == 0 {
			id := parse.NewIdentifier(quoteFunc).SetTree(tree).SetPos(n.Pos)
			n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{id}})
		}
	case *parse.IfNode:
		return wrapBranch(tree, &n.BranchNode)
	case *parse.RangeNode:
		return wrapBranch(tree, &n.BranchNode)
	case *parse.WithNode:
		return wrapBranch(tree, &n.BranchNode)
	case *parse.TemplateNode:
		return errors.New("{{ template }} is not supported")
	}
	return nil
}

func wrapBranch(tree *parse.Tree, b *parse.BranchNode) error {
	if err := wrapActions(tree, b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return wrapActions(tree, b.ElseList)
	}
	return nil
}

var templateErrPrefix = regexp.MustCompile(`^template: run:\d+(:\d+)?: (executing "run" at <[^>]*>: )?`)

func cleanTemplateErr(err error) string {
	return templateErrPrefix.ReplaceAllString(err.Error(), "")
}

// checkTemplate reports a `run:` template that does not parse, or that
// names a field Vars lacks or a param the pipeline does not declare.
// upstream lists the tasks a task needs, directly or not: the ones whose
// outputs it may name. It is asked only for a template that names some.
func checkTemplate(d *decoder, path, run string, params []string, upstream func() []string) {
	at := d.pos[path]
	t, err := parseTemplate(run, func(any) string { return "" })
	if err != nil {
		d.errs.add(d.file, at, path, "", "invalid template: %v", err)
		return
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return
	}
	bad := false
	walkFields(t.Tree.Root, true, func(ident []string) {
		if msg, hint := checkField(ident, params, upstream); msg != "" {
			d.errs.add(d.file, at, path, hint, "%s", msg)
			bad = true
		}
	})
	if bad {
		return
	}
	if _, _, err := Render(run, sampleVars(t, params)); err != nil {
		d.errs.add(d.file, at, path, "", "invalid template: %s", strings.TrimPrefix(err.Error(), "render: "))
	}
}

// checkField checks a field chain such as [Params name] against Vars.
func checkField(ident, params []string, upstream func() []string) (msg, hint string) {
	sub, ok := varFields[ident[0]]
	if !ok {
		return fmt.Sprintf("template names unknown field .%s", ident[0]), didYouMean(ident[0], varNames)
	}
	if ident[0] == "Outputs" {
		if len(ident) != 3 {
			return "template names .Outputs without a task and a key: write {{ .Outputs.TASK.KEY }}", ""
		}
		up := upstream()
		switch {
		case !contains(up, ident[1]):
			hint := didYouMean(ident[1], up)
			if hint == "" {
				hint = "a task may name the outputs of the tasks it needs, directly or through their needs"
			}
			return fmt.Sprintf("template names the outputs of %q, which this task does not need", ident[1]), hint
		}
		return "", ""
	}
	if len(ident) < 2 {
		return "", ""
	}
	switch ident[0] {
	case "Params":
		if !contains(params, ident[1]) {
			return fmt.Sprintf("template names undeclared param %q", ident[1]), orDeclare(ident[1], params)
		}
	case "Interval":
		if !contains(sub, ident[1]) {
			return fmt.Sprintf("template names unknown field .Interval.%s", ident[1]), didYouMean(ident[1], sub)
		}
	}
	return "", ""
}

// walkFields calls f with each field chain that starts at the template's
// data: `.A.B` while dot is the data, and `$.A.B` anywhere.
func walkFields(n parse.Node, dotIsRoot bool, f func([]string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkFields(c, dotIsRoot, f)
		}
	case *parse.ActionNode:
		walkFields(n.Pipe, dotIsRoot, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkFields(c, dotIsRoot, f)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			walkFields(a, dotIsRoot, f)
		}
	case *parse.FieldNode:
		if dotIsRoot {
			f(n.Ident)
		}
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			f(n.Ident[1:])
		}
	case *parse.IfNode:
		walkFields(n.Pipe, dotIsRoot, f)
		walkFields(n.List, dotIsRoot, f)
		walkFields(n.ElseList, dotIsRoot, f)
	case *parse.RangeNode:
		walkFields(n.Pipe, dotIsRoot, f)
		walkFields(n.List, false, f)
		walkFields(n.ElseList, dotIsRoot, f)
	case *parse.WithNode:
		walkFields(n.Pipe, dotIsRoot, f)
		walkFields(n.List, false, f)
		walkFields(n.ElseList, dotIsRoot, f)
	}
}

// orDeclare hints at a close param name, or else at declaring it.
func orDeclare(name string, params []string) string {
	if h := didYouMean(name, params); h != "" {
		return h
	}
	return "declare it under `params:`"
}

// sampleVars are values for every field t names: "1" for params and
// outputs (only shell arithmetic cares what a value holds, and it takes
// an integer).
func sampleVars(t *template.Template, params []string) Vars {
	v := Vars{Params: map[string]string{}, RunID: 1, Attempt: 1, Task: "t", Env: "e", Outputs: map[string]map[string]string{}}
	v.Interval.Start, v.Interval.End = "2006-01-02T00:00:00Z", "2006-01-03T00:00:00Z"
	for _, p := range params {
		v.Params[p] = "1"
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return v
	}
	walkFields(t.Tree.Root, true, func(ident []string) {
		if ident[0] == "Outputs" && len(ident) == 3 {
			if v.Outputs[ident[1]] == nil {
				v.Outputs[ident[1]] = map[string]string{}
			}
			v.Outputs[ident[1]][ident[2]] = "1"
		}
	})
	return v
}
