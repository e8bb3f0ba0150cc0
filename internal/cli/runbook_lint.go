package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/spf13/cobra"
)

// commandLines returns the runbook rules' reader of command lines: args
// (the words after "gantry") read against root's command tree, with an
// error naming the unknown command or flag or the wrong arguments, and
// the pipelines, tasks and environments the line names, by the words of
// each command's Use (PIPELINE, TASK, --env ENV) and the flags named
// pipeline, task and env. Placeholders such as RUN_ID count as arguments.
func commandLines(root *cobra.Command) func(args []string) (check.CommandLine, error) {
	return func(args []string) (check.CommandLine, error) {
		cmd, i := root, 0
		for ; i < len(args) && !strings.HasPrefix(args[i], "-"); i++ {
			sub := subcommand(cmd, args[i])
			if sub == nil {
				break
			}
			cmd = sub
		}
		if cmd == root {
			if len(args) == 0 || strings.HasPrefix(args[0], "-") {
				return check.CommandLine{}, fmt.Errorf("no command after gantry")
			}
			return check.CommandLine{}, fmt.Errorf("%q is not a gantry command%s", args[0], suggestCommand(root, args[0]))
		}
		path := strings.TrimPrefix(cmd.CommandPath(), root.Name()+" ")
		line := check.CommandLine{Command: path}
		if !cmd.Runnable() && i < len(args) && !strings.HasPrefix(args[i], "-") {
			return line, fmt.Errorf("%q is not a command of gantry %s%s", args[i], path, suggestCommand(cmd, args[i]))
		}
		pos, flagRoles := useRoles(cmd)
		var positional, flagArgs []string
		for ; i < len(args); i++ {
			a := args[i]
			if a == "--" {
				positional = append(positional, args[i+1:]...)
				break
			}
			if !strings.HasPrefix(a, "-") || len(a) == 1 {
				positional = append(positional, a)
				continue
			}
			_, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			takesValue, long, ok := lookupFlag(cmd, a)
			if !ok {
				return line, fmt.Errorf("gantry %s has no flag %s (see gantry %s --help)", path, strings.SplitN(a, "=", 2)[0], path)
			}
			if takesValue && !hasValue {
				if i+1 >= len(args) {
					return line, fmt.Errorf("flag %s of gantry %s needs a value", a, path)
				}
				i++
				value = args[i]
			}
			// A placeholder (--attempt N) is no value to parse.
			if long != "help" && !(takesValue && check.Placeholder(value)) {
				flagArgs = append(flagArgs, "--"+long)
				if takesValue {
					flagArgs = append(flagArgs, value)
				}
			}
			if takesValue {
				addRole(&line, flagRoles[long], value)
			}
		}
		if !cmd.Runnable() {
			if len(positional) > 0 {
				return line, fmt.Errorf("%q is not a command of gantry %s%s", positional[0], path, suggestCommand(cmd, positional[0]))
			}
			return line, nil
		}
		if err := checkArgs(path, flagArgs, positional); err != nil {
			return line, fmt.Errorf("wrong arguments: %v", err)
		}
		for k, v := range positional {
			if k < len(pos) {
				addRole(&line, pos[k], v)
			}
		}
		return line, nil
	}
}

// checkArgs parses the line's flag values (--limit five is wrong) and
// runs the positional-argument check of the command at path with them
// set, as running it would: some checks look at flags (deploy
// PIPELINE|--all). It does so on a command tree of its own,
// so that the tree in use (a server's) is never changed.
func checkArgs(path string, flagArgs, positional []string) error {
	cmd := newRoot(io.Discard, io.Discard)
	for _, w := range strings.Fields(path) {
		if cmd = subcommand(cmd, w); cmd == nil {
			return nil
		}
	}
	if err := cmd.ParseFlags(flagArgs); err != nil {
		return err
	}
	if cmd.Args == nil {
		return nil
	}
	return cmd.Args(cmd, positional)
}

// Roles of the words a command line names.
const (
	rolePipeline = "pipeline"
	roleTask     = "task"
	roleEnv      = "env"
)

// placeholderRoles are the words of a command's Use that name a role.
var placeholderRoles = map[string]string{
	"PIPELINE": rolePipeline, "P": rolePipeline, "TASK": roleTask, "ENV": roleEnv, "E": roleEnv,
}

// useRoles reads cmd's Use ("promote PIPELINE --from ENV --to ENV",
// "logs RUN [TASK]"): the role of each positional argument, and of each
// flag's value, by its long name. The flags named pipeline, task and env
// have their role whatever Use says.
func useRoles(cmd *cobra.Command) (pos []string, flags map[string]string) {
	flags = map[string]string{"pipeline": rolePipeline, "task": roleTask, "env": roleEnv}
	words := strings.Fields(cmd.Use)
	if len(words) > 0 {
		words = words[1:]
	}
	clean := func(w string) string { return strings.Trim(w, "[]().") }
	for k := 0; k < len(words); k++ {
		w := clean(words[k])
		switch {
		case strings.HasPrefix(w, "--"):
			if k+1 < len(words) && !strings.HasPrefix(clean(words[k+1]), "-") {
				if role, ok := placeholderRoles[clean(words[k+1])]; ok {
					flags[strings.TrimPrefix(w, "--")] = role
				}
				k++
			}
		case w == "|" || w == "":
		default:
			first, _, _ := strings.Cut(w, "|")
			pos = append(pos, placeholderRoles[first])
		}
	}
	return pos, flags
}

func addRole(line *check.CommandLine, role, value string) {
	switch role {
	case rolePipeline:
		line.Pipelines = append(line.Pipelines, value)
	case roleTask:
		line.Tasks = append(line.Tasks, value)
	case roleEnv:
		line.Envs = append(line.Envs, value)
	}
}

// suggestCommand is a "did you mean" for a mistyped subcommand of cmd,
// or, below the root, the commands it has.
func suggestCommand(cmd *cobra.Command, name string) string {
	var names []string
	for _, s := range cmd.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	if s := spec.Closest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	if cmd.HasParent() {
		return " (it has: " + strings.Join(names, ", ") + ")"
	}
	return ""
}

func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, s := range cmd.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

// lookupFlag finds a flag written as -x, --name or --name=value: whether
// it takes a value, and its long name.
func lookupFlag(cmd *cobra.Command, arg string) (takesValue bool, long string, ok bool) {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	if name == "help" || name == "h" {
		return false, "help", true
	}
	flags, inherited := cmd.Flags(), cmd.InheritedFlags()
	if strings.HasPrefix(arg, "--") {
		f := flags.Lookup(name)
		if f == nil {
			f = inherited.Lookup(name)
		}
		if f == nil {
			return false, "", false
		}
		return f.NoOptDefVal == "", f.Name, true
	}
	if len(name) != 1 {
		return false, "", false // -abc: combined short flags are not used in runbooks
	}
	f := flags.ShorthandLookup(name)
	if f == nil {
		f = inherited.ShorthandLookup(name)
	}
	if f == nil {
		return false, "", false
	}
	return f.NoOptDefVal == "", f.Name, true
}
