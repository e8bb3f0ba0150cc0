package spec

import (
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var projectKeys = []string{"project", "store", "environments", "pools", "secrets", "alerts", "deploy", "logs", "files", "test"}

// ParseProject parses a gantry.yaml. path is used in error messages and
// kept in Project.File. Every problem is reported at once as Errors.
func ParseProject(path string, data []byte) (*Project, error) {
	d := newDecoder(path)
	root := d.parseDocument(data)
	if root == nil {
		return nil, d.errs.Err()
	}
	p := &Project{File: path, Positions: d.pos}
	fields, _ := d.mapping(root, "", projectKeys)
	for _, f := range fields {
		switch f.Key {
		case "project":
			p.Name, _ = d.strMatching(f.Value, f.Path, nameRe, "project name")
		case "store":
			p.Store, _ = d.str(f.Value, f.Path)
		case "environments":
			p.Environments = d.projectEnvironments(f.Value, f.Path)
		case "pools":
			p.Pools = d.pools(f.Value, f.Path)
		case "secrets":
			p.Secrets = d.secrets(f.Value, f.Path)
		case "alerts":
			p.Alerts = d.projectAlerts(f.Value, f.Path)
		case "deploy":
			p.Deploy = d.deployPolicy(f.Value, f.Path)
		case "logs":
			p.Logs = d.logs(f.Value, f.Path)
		case "files":
			p.Files = d.projectFiles(f.Value, f.Path)
		case "test":
			p.Test = d.projectTest(f.Value, f.Path)
		}
	}
	if p.Deploy.Gates == nil {
		p.Deploy.Gates = map[string][]string{}
	}
	for class, gates := range DefaultGates {
		if _, ok := p.Deploy.Gates[class]; !ok {
			p.Deploy.Gates[class] = gates
		}
	}
	if err := d.result(); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *decoder) projectEnvironments(n *yaml.Node, path string) []ProjectEnvironment {
	envs, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []ProjectEnvironment
	for _, e := range envs {
		if !nameRe.MatchString(e.Key) {
			d.errorf(e.KeyNode, e.Path, "invalid environment name %q: %s", clip(e.Key), describeRe(nameRe))
			continue
		}
		env := ProjectEnvironment{Name: e.Key}
		if e.Value.Kind == yaml.ScalarNode && e.Value.Tag == "!!null" {
			out = append(out, env)
			continue
		}
		fields, _ := d.mapping(e.Value, e.Path, []string{"params", "production", "staging", "approval", "secrets"})
		for _, f := range fields {
			switch f.Key {
			case "params":
				env.Params = d.stringMap(f.Value, f.Path)
			case "production":
				env.Production, _ = d.boolean(f.Value, f.Path)
			case "staging":
				env.Staging, _ = d.boolean(f.Value, f.Path)
			case "approval":
				env.Approval = d.approval(f.Value, f.Path)
			case "secrets":
				sec := d.secrets(f.Value, f.Path)
				env.Secrets = &sec
			}
		}
		if env.Production && env.Staging {
			d.errorf(e.KeyNode, e.Path, "an environment cannot be both production and staging")
		}
		out = append(out, env)
	}
	return out
}

func (d *decoder) pools(n *yaml.Node, path string) []Pool {
	entries, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []Pool
	for _, e := range entries {
		if !nameRe.MatchString(e.Key) {
			d.errorf(e.KeyNode, e.Path, "invalid pool name %q: %s", clip(e.Key), describeRe(nameRe))
			continue
		}
		pool := Pool{Name: e.Key}
		fields, _ := d.mapping(e.Value, e.Path, []string{"slots"})
		for _, f := range fields {
			pool.Slots, _ = d.smallInt(f.Value, f.Path, 1)
		}
		if _, ok := d.pos[join(e.Path, "slots")]; !ok && e.Value.Kind == yaml.MappingNode {
			d.errorf(e.Value, e.Path, "missing `slots:` (tasks at once, at least 1)")
		}
		out = append(out, pool)
	}
	return out
}

var envPrefixRe = NewCharPattern("A-Z_", "A-Z0-9_", 64)

func (d *decoder) secrets(n *yaml.Node, path string) Secrets {
	var s Secrets
	fields, _ := d.mapping(n, path, []string{"env_prefix", "dir"})
	for _, f := range fields {
		switch f.Key {
		case "env_prefix":
			s.EnvPrefix, _ = d.strMatching(f.Value, f.Path, envPrefixRe, "environment variable prefix")
		case "dir":
			s.Dir, _ = d.str(f.Value, f.Path)
		}
	}
	return s
}

var (
	channelTypes = []string{"webhook", "slack", "pagerduty", "email", "alertmanager"}
	alertEvents  = []string{"failure", "timeout", "sla", "freshness", "row_count", "degradation", "success"}
)

func (d *decoder) projectAlerts(n *yaml.Node, path string) ProjectAlerts {
	var a ProjectAlerts
	fields, _ := d.mapping(n, path, append([]string{"channels", "routes", "scheduler_lag", "retention", "suppress"}, groupingKeys...))
	var routesNode *yaml.Node
	routesPath := ""
	for _, f := range fields {
		switch f.Key {
		case "channels":
			a.Channels = d.channels(f.Value, f.Path)
		case "routes":
			routesNode, routesPath = f.Value, f.Path
		case "scheduler_lag":
			a.SchedulerLag, _ = d.duration(f.Value, f.Path)
		case "retention":
			a.Retention, _ = d.duration(f.Value, f.Path)
		case "suppress":
			a.Suppress = d.suppressions(f.Value, f.Path)
		default:
			d.grouping(f, &a.Grouping)
		}
	}
	if routesNode != nil {
		var names []string
		for _, c := range a.Channels {
			names = append(names, c.Name)
		}
		a.Routes = d.routes(routesNode, routesPath, names)
	}
	return a
}

func (d *decoder) channels(n *yaml.Node, path string) []Channel {
	entries, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []Channel
	for _, e := range entries {
		if !nameRe.MatchString(e.Key) {
			d.errorf(e.KeyNode, e.Path, "invalid channel name %q: %s", clip(e.Key), describeRe(nameRe))
			continue
		}
		c := Channel{Name: e.Key}
		fields, ok := d.mapping(e.Value, e.Path, []string{"type", "url", "url_secret", "secret", "to"})
		if !ok {
			continue
		}
		var urlField *field
		for _, f := range fields {
			switch f.Key {
			case "type":
				c.Type, _ = d.oneOf(f.Value, f.Path, channelTypes)
			case "url":
				urlField = &f
			case "url_secret":
				c.URLSecret, _ = d.strMatching(f.Value, f.Path, secretRe, "secret name")
			case "secret":
				c.Secret, _ = d.strMatching(f.Value, f.Path, secretRe, "secret name")
			case "to":
				c.To = d.strList(f.Value, f.Path, nil, "")
			}
		}
		if urlField != nil {
			schemes := []string{"http", "https"}
			if c.Type == "email" {
				schemes = []string{"smtp"}
			}
			c.URL, _ = d.url(urlField.Value, urlField.Path, schemes)
		}
		d.checkChannel(e.Value, e.Path, c)
		out = append(out, c)
	}
	return out
}

func (d *decoder) checkChannel(n *yaml.Node, path string, c Channel) {
	_, hasType := d.pos[join(path, "type")]
	switch {
	case !hasType:
		d.errorf(n, path, "missing `type:` (one of webhook, slack, pagerduty, email, alertmanager)")
	case c.Type == "webhook" || c.Type == "slack" || c.Type == "alertmanager":
		if c.URL == "" && c.URLSecret == "" && !d.has(path, "url") && !d.has(path, "url_secret") {
			d.errorf(n, path, "a %s channel needs `url:` or `url_secret:`", c.Type)
		}
		if c.Type == "webhook" && !d.has(path, "secret") {
			d.errorf(n, path, "a webhook channel needs `secret:` (the secret holding the key its deliveries are signed with)")
		}
	case c.Type == "pagerduty":
		if !d.has(path, "secret") {
			d.errorf(n, path, "a pagerduty channel needs `secret:` (the secret holding the routing key)")
		}
	case c.Type == "email":
		if !d.has(path, "to") {
			d.errorf(n, path, "an email channel needs `to:` (a list of addresses)")
		}
		if !d.has(path, "url") {
			d.errorf(n, path, "an email channel needs `url:` (smtp://host:port?from=address)")
		}
	}
}

func (d *decoder) has(path, key string) bool {
	_, ok := d.pos[join(path, key)]
	return ok
}

// url decodes a URL with one of schemes and a host.
func (d *decoder) url(n *yaml.Node, path string, schemes []string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || !slices.Contains(schemes, u.Scheme) || u.Host == "" {
		want := "an http:// or https:// URL"
		if slices.Contains(schemes, "smtp") {
			want = "smtp://host:port[?from=address] (the password goes in `secret:`)"
		}
		d.errorf(n, path, "invalid URL %q: want %s", clip(s), want)
		return "", false
	}
	return s, true
}

var groupingKeys = []string{"group_by", "group_wait", "group_interval", "repeat_interval"}

// grouping decodes one of groupingKeys into g.
func (d *decoder) grouping(f field, g *Grouping) {
	switch f.Key {
	case "group_by":
		g.GroupBy = d.strList(f.Value, f.Path, labelRe, "label name")
	case "group_wait":
		g.GroupWait, _ = d.duration(f.Value, f.Path)
	case "group_interval":
		g.GroupInterval, _ = d.duration(f.Value, f.Path)
	case "repeat_interval":
		g.RepeatInterval, _ = d.duration(f.Value, f.Path)
	}
}

var labelRe = NewCharPattern("a-zA-Z_", "a-zA-Z0-9_", 63)

// routes decodes the named routes: a mapping of name to route.
func (d *decoder) routes(n *yaml.Node, path string, channels []string) []Route {
	entries, ok := d.mapping(n, path, nil)
	if !ok {
		return nil
	}
	var out []Route
	for _, e := range entries {
		if !nameRe.MatchString(e.Key) {
			d.errorf(e.KeyNode, e.Path, "invalid route name %q: %s", clip(e.Key), describeRe(nameRe))
			continue
		}
		r, ok := d.route(e.Value, e.Path, channels, true)
		if !ok {
			continue
		}
		r.Name = e.Key
		out = append(out, r)
	}
	return out
}

var routeKeys = append([]string{"match", "channels", "on", "continue", "routes"}, groupingKeys...)

// route decodes one route and its children. A named route needs channels;
// a child without channels uses its parent's.
func (d *decoder) route(n *yaml.Node, path string, channels []string, named bool) (Route, bool) {
	var r Route
	keys := routeKeys
	if named {
		keys = slices.DeleteFunc(slices.Clone(routeKeys), func(k string) bool { return k == "match" || k == "continue" })
	}
	fields, ok := d.mapping(n, path, keys)
	if !ok {
		return r, false
	}
	for _, f := range fields {
		switch f.Key {
		case "match":
			r.Match = d.stringMap(f.Value, f.Path)
			for k := range r.Match {
				if !labelRe.MatchString(k) {
					d.errorf(f.Value, f.Path, "invalid label name %q: %s", clip(k), describeRe(labelRe))
				}
			}
		case "channels":
			r.Channels = d.strList(f.Value, f.Path, nil, "")
			for i, c := range r.Channels {
				if !contains(channels, c) {
					p := index(f.Path, i)
					d.errs.add(d.file, d.pos[p], f.Path, didYouMean(c, channels), "unknown channel %q", c)
				}
			}
		case "on":
			items, _ := d.sequence(f.Value, f.Path)
			for i, it := range items {
				if v, ok := d.oneOf(it, index(f.Path, i), AlertKinds); ok {
					r.On = append(r.On, v)
				}
			}
		case "continue":
			r.Continue, _ = d.boolean(f.Value, f.Path)
		case "routes":
			items, _ := d.sequence(f.Value, f.Path)
			for i, it := range items {
				if c, ok := d.route(it, index(f.Path, i), channels, false); ok {
					r.Routes = append(r.Routes, c)
				}
			}
		default:
			d.grouping(f, &r.Grouping)
		}
	}
	if named && !d.has(path, "channels") {
		d.errorf(n, path, "missing `channels:`")
	}
	if !named && !d.has(path, "match") {
		d.errorf(n, path, "missing `match:` (the labels this child route takes, e.g. {severity: critical})")
	}
	return r, true
}

var riskClasses = []string{RiskL1, RiskL2, RiskL3, RiskL4}

func (d *decoder) deployPolicy(n *yaml.Node, path string) DeployPolicy {
	var p DeployPolicy
	fields, _ := d.mapping(n, path, []string{"gates"})
	for _, f := range fields {
		classes, ok := d.mapping(f.Value, f.Path, riskClasses)
		if !ok {
			continue
		}
		p.Gates = map[string][]string{}
		for _, c := range classes {
			items, _ := d.sequence(c.Value, c.Path)
			gates := []string{}
			for i, it := range items {
				if g, ok := d.oneOf(it, index(c.Path, i), Gates); ok {
					gates = append(gates, g)
				}
			}
			if !slices.Contains(gates, GateCheck) && len(items) == len(gates) {
				d.errorf(c.Value, c.Path, "every class needs the `check` gate: nothing reaches an environment without passing the readiness gate")
			}
			p.Gates[c.Key] = gates
		}
	}
	return p
}

// logs reads logs: {max_size: SIZE}, the cap of each attempt's log.
func (d *decoder) logs(n *yaml.Node, path string) Logs {
	var l Logs
	fields, _ := d.mapping(n, path, []string{"max_size"})
	for _, f := range fields {
		if size, ok := d.size(f.Value, f.Path); ok {
			if size < MinLogSize {
				d.errorf(f.Value, f.Path, "%s is too small: an attempt's log keeps at least %s", FormatSize(size), FormatSize(MinLogSize))
				continue
			}
			l.MaxSize = size
		}
	}
	return l
}

// projectTest reads test: {run: COMMAND}, the project's own tests, which
// the CI configuration `gantry ci` writes runs in its test stage.
func (d *decoder) projectTest(n *yaml.Node, path string) Test {
	var t Test
	fields, ok := d.mapping(n, path, []string{"run"})
	if !ok {
		return t
	}
	for _, f := range fields {
		if run, ok := d.str(f.Value, f.Path); ok {
			if strings.ContainsAny(run, "\n\r") {
				d.errorf(f.Value, f.Path, "must be one line: put a longer test command in a script and run that")
				continue
			}
			t.Run = run
		}
	}
	if _, ok := d.pos[join(path, "run")]; !ok && n.Kind == yaml.MappingNode {
		d.errorf(n, path, "missing `run:` (the command that runs the project's tests)")
	}
	return t
}
