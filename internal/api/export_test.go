package api

// Routes returns "METHOD /path" for every route NewHandler registers when
// it has a metrics handler.
func Routes() []string {
	out := []string{"GET /metrics"}
	for _, r := range routes {
		out = append(out, r.method+" "+r.path)
	}
	return out
}

// RoutePerms maps "METHOD /path" of every route to what it needs.
func RoutePerms() map[string]Permission {
	out := map[string]Permission{}
	for _, r := range routes {
		out[r.method+" "+r.path] = r.perm
	}
	return out
}
