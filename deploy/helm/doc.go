// Package helm holds Gantry's Helm chart, in gantry/, and the tests that
// render it with Helm's own Go library for the default values, for the
// production example (gantry/values-production.yaml) and for values the
// chart must refuse, then decode every object it renders strictly into the
// official Kubernetes types, so a misspelt or misplaced field fails here
// rather than in a cluster.
//
// The package has no Go code of its own: the chart is the product, and
// the tests are the only importers of helm.sh/helm/v3 and k8s.io/api in
// the module.
package helm
