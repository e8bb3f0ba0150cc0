package spec

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// canaries are the cores of the fuzzed values: each creates the file
// CANARY if the shell parses it as code. None has "touch" as its first
// field, so a value split into words at a command's start runs nothing.
var canaries = []string{
	"$(touch CANARY)",
	"`touch CANARY`",
	";touch CANARY;",
	"'; touch CANARY; '",
	`"; touch CANARY; "`,
	"\n&touch CANARY&\n",
	"|touch CANARY|",
	`$'\x27';touch CANARY;`,
	"}; touch CANARY; {",
	")\ntouch CANARY\n(",
	"\nEOF\ntouch CANARY\n",
}

// FuzzRenderValueIsData renders before + {{ .Params.v }} + after with a
// value built around a canary, runs it with the real /bin/sh, and fails if
// the canary ran or if the value's bytes reached the command text.
//
// Out of scope are commands that evaluate text on purpose or run data as
// a command, which the fuzzer could otherwise build from bits of shell:
// every word of the command must be a shell keyword (but while and until,
// whose endless loops only cost time), echo, cat, true, false, EOF or one
// letter (so no eval, sh -c, source, read, printf -v,
// let, …); no `. file`; no $name or ${name} expansion (running `$x` runs
// data by design; ${x:-…} and the like stay); no [ (bash's [ -v and
// subscripts evaluate names). The value around the canary holds no letters
// or _, so it can never be a bash variable name with a subscript.
func FuzzRenderValueIsData(f *testing.F) {
	seeds := []struct{ before, after string }{
		{`echo "$(case x in x) echo " `, `" ;; esac)"`},
		{`echo $'a\'b `, ` '`},
		{`echo `, ``},
		{`echo "a `, ` b"`},
		{`echo 'x=`, `'`},
		{`echo "$(echo `, `)"`},
		{"cat <<EOF\n", "\nEOF"},
		{"cat <<'EOF'\n'\nEOF\necho ", ""},
		{"cat <<-EOF\n\t", "\n\tEOF\necho '"},
		{"echo ${x:-", "}"},
		{`echo "${x:-`, `}"`},
		{"echo `echo ", "`"},
		{`echo $(( `, ` ))`},
		{"echo # ", "\necho '"},
		{`echo "$(echo "$(echo '`, `')")"`},
		{`case x in (x) echo "`, `";; esac`},
		{`echo \`, ``},
		{`x=`, `; echo "${x#a}"`},
	}
	for i, s := range seeds {
		f.Add(s.before, s.after, uint8(i), "", "")
		f.Add(s.before, s.after, uint8(i+3), `'"\`, "\n$(")
	}
	f.Fuzz(func(t *testing.T, before, after string, canary uint8, pre, post string) {
		run := before + "{{ .Params.v }}" + after
		if len(run) > 300 || reEvaluates(before+" "+after) {
			t.Skip()
		}
		val := noLetters(pre, 40) + canaries[int(canary)%len(canaries)] + noLetters(post, 40)
		cmd, env, err := Render(run, Vars{Params: map[string]string{"v": val}})
		if err != nil {
			t.Skip() // refused or not a template: nothing runs
		}
		if strings.Contains(cmd, "CANARY") {
			t.Fatalf("the value reached the command text: %q", cmd)
		}
		if len(env) != 1 || env[0] != "GANTRY_TPL_1="+val {
			t.Fatalf("env = %q, want the value in GANTRY_TPL_1", env)
		}
		if ranCanary(t, cmd, env) {
			t.Fatalf("/bin/sh ran the value %q:\n%s", val, cmd)
		}
	})
}

var (
	shellWord    = regexp.MustCompile(`[A-Za-z_0-9]+`)
	nameExpand   = regexp.MustCompile(`\$[A-Za-z_0-9]|\$\{[A-Za-z_0-9]+\}|\$\{!`)
	dotCommand   = regexp.MustCompile(`(^|[\s;&|()` + "`" + `])\.(\s|$)`)
	allowedWords = map[string]bool{
		"echo": true, "cat": true, "true": true, "false": true, "EOF": true,
		"case": true, "in": true, "esac": true, "if": true, "then": true, "else": true,
		"elif": true, "fi": true, "for": true, "do": true, "done": true,
	}
)

// reEvaluates reports a command FuzzRenderValueIsData leaves alone.
func reEvaluates(run string) bool {
	if strings.ContainsAny(run, "[\x00") || strings.Contains(run, "{{") || strings.Contains(run, "}}") ||
		nameExpand.MatchString(run) || dotCommand.MatchString(run) {
		return true
	}
	for _, w := range shellWord.FindAllString(run, -1) {
		if strings.Trim(w, "0123456789") != "" && len(w) > 1 && !allowedWords[w] {
			return true
		}
	}
	return false
}

// noLetters is s without letters, _ and NUL, cut to n runes.
func noLetters(s string, n int) string {
	out := []rune(strings.Map(func(r rune) rune {
		if r == '_' || r == 0 || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return -1
		}
		return r
	}, s))
	return string(out[:min(n, len(out))])
}

// ranCanary runs cmd with /bin/sh -c in a fresh directory, at most two
// seconds, kills whatever it left behind, and reports whether the file
// CANARY appeared.
func ranCanary(t *testing.T, cmd string, env []string) bool {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Dir = dir
	c.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait() // failing is fine; running the canary is not
	if err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatal(err)
	}
	_, err := os.Stat(filepath.Join(dir, "CANARY"))
	return err == nil
}
