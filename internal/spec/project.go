package spec

import (
	"net/url"
	"regexp"

	"go.yaml.in/yaml/v3"
)

var projectKeys = []string{"project", "store", "environments", "pools", "secrets", "alerts"}

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
		}
	}
	if err := d.errs.Err(); err != nil {
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
		fields, _ := d.mapping(e.Value, e.Path, []string{"params", "production", "staging", "approval"})
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

var envPrefixRe = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

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
	fields, _ := d.mapping(n, path, []string{"channels", "routes"})
	var routesNode *yaml.Node
	routesPath := ""
	for _, f := range fields {
		switch f.Key {
		case "channels":
			a.Channels = d.channels(f.Value, f.Path)
		case "routes":
			routesNode, routesPath = f.Value, f.Path
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
		for _, f := range fields {
			switch f.Key {
			case "type":
				c.Type, _ = d.oneOf(f.Value, f.Path, channelTypes)
			case "url":
				c.URL, _ = d.httpURL(f.Value, f.Path)
			case "url_secret":
				c.URLSecret, _ = d.strMatching(f.Value, f.Path, secretRe, "secret name")
			case "secret":
				c.Secret, _ = d.strMatching(f.Value, f.Path, secretRe, "secret name")
			case "to":
				c.To = d.strList(f.Value, f.Path, nil, "")
			}
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
	case c.Type == "pagerduty":
		if !d.has(path, "secret") {
			d.errorf(n, path, "a pagerduty channel needs `secret:` (the secret holding the routing key)")
		}
	case c.Type == "email":
		if !d.has(path, "to") {
			d.errorf(n, path, "an email channel needs `to:` (a list of addresses)")
		}
	}
}

func (d *decoder) has(path, key string) bool {
	_, ok := d.pos[join(path, key)]
	return ok
}

func (d *decoder) httpURL(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.errorf(n, path, "invalid URL %q: want an http:// or https:// URL", clip(s))
		return "", false
	}
	return s, true
}

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
		r := Route{Name: e.Key}
		fields, ok := d.mapping(e.Value, e.Path, []string{"channels", "on"})
		if !ok {
			continue
		}
		for _, f := range fields {
			switch f.Key {
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
					if v, ok := d.oneOf(it, index(f.Path, i), alertEvents); ok {
						r.On = append(r.On, v)
					}
				}
			}
		}
		if !d.has(e.Path, "channels") {
			d.errorf(e.Value, e.Path, "missing `channels:`")
		}
		out = append(out, r)
	}
	return out
}
