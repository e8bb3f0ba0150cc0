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
