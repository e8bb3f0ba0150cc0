package spec

// Environment returns the project's environment called name, or nil.
func (p *Project) Environment(name string) *ProjectEnvironment {
	if p == nil {
		return nil
	}
	for i := range p.Environments {
		if p.Environments[i].Name == name {
			return &p.Environments[i]
		}
	}
	return nil
}

// Environment returns the pipeline's settings for env, or nil.
func (p *Pipeline) Environment(name string) *Environment {
	for i := range p.Environments {
		if p.Environments[i].Name == name {
			return &p.Environments[i]
		}
	}
	return nil
}

// ParamsFor returns the parameter values environment env gives pipeline
// p: those of gantry.yaml's environment that p declares (an environment's
// params are shared by every pipeline, and each takes the ones it knows),
// overridden by the pipeline's own environments.<env>.params. It is nil
// for env "" and for an environment neither names.
func ParamsFor(proj *Project, p *Pipeline, env string) map[string]string {
	if env == "" {
		return nil
	}
	declared := map[string]bool{}
	for _, pr := range p.Params {
		declared[pr.Name] = true
	}
	var out map[string]string
	set := func(k, v string) {
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	if pe := proj.Environment(env); pe != nil {
		for k, v := range pe.Params {
			if declared[k] {
				set(k, v)
			}
		}
	}
	if e := p.Environment(env); e != nil {
		for k, v := range e.Params {
			set(k, v)
		}
	}
	return out
}
