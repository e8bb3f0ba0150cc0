package helm_test

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const (
	chartDir       = "gantry"
	releaseName    = "gantry"
	namespace      = "pipelines"
	productionFile = "gantry/values-production.yaml"
)

// serviceMonitor is the part of the Prometheus Operator's CRD the chart
// writes; k8s.io/api has no type for it, and strict decoding into this one
// still refuses any field the chart should not write.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// release is what one render produced, each object decoded into its type.
type release struct {
	chart       *chart.Chart
	notes       string
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	configMaps  []*corev1.ConfigMap
	claims      []*corev1.PersistentVolumeClaim
	pdbs        []*policyv1.PodDisruptionBudget
	monitors    []*serviceMonitor
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return c
}

// valuesFile reads a values file as `helm -f` would.
func valuesFile(t *testing.T, name string) chartutil.Values {
	t.Helper()
	v, err := chartutil.ReadValuesFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return v
}

// valuesYAML reads values written inline in a test.
func valuesYAML(t *testing.T, doc string) chartutil.Values {
	t.Helper()
	v, err := chartutil.ReadValues([]byte(doc))
	if err != nil {
		t.Fatalf("read values %q: %v", doc, err)
	}
	return v
}

// renderFiles renders the chart as `helm install` does: values coalesced
// with the chart's defaults and validated against values.schema.json,
// then every template executed.
func renderFiles(c *chart.Chart, vals chartutil.Values) (map[string]string, error) {
	opts := chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true}
	top, err := chartutil.ToRenderValues(c, vals, opts, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(c, top)
}

// render renders the chart and decodes every object it produced strictly.
func render(t *testing.T, vals chartutil.Values) *release {
	t.Helper()
	c := loadChart(t)
	files, err := renderFiles(c, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	r := &release{chart: c}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch base := path.Base(name); {
		case base == "NOTES.txt":
			r.notes = files[name]
			continue
		case strings.HasPrefix(base, "_"):
			continue
		}
		for _, doc := range releaseutil.SplitManifests(files[name]) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			if err := r.add([]byte(doc)); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
		}
	}
	return r
}

// add decodes one manifest into its official type; a field the type does
// not know, a duplicate field or an unexpected kind is an error.
func (r *release) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var (
		obj  any
		meta *metav1.ObjectMeta
	)
	switch gvk := tm.APIVersion + " " + tm.Kind; gvk {
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		obj, meta, r.deployments = o, &o.ObjectMeta, append(r.deployments, o)
	case "v1 Service":
		o := &corev1.Service{}
		obj, meta, r.services = o, &o.ObjectMeta, append(r.services, o)
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		obj, meta, r.configMaps = o, &o.ObjectMeta, append(r.configMaps, o)
	case "v1 PersistentVolumeClaim":
		o := &corev1.PersistentVolumeClaim{}
		obj, meta, r.claims = o, &o.ObjectMeta, append(r.claims, o)
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		obj, meta, r.pdbs = o, &o.ObjectMeta, append(r.pdbs, o)
	case "monitoring.coreos.com/v1 ServiceMonitor":
		o := &serviceMonitor{}
		obj, meta, r.monitors = o, &o.ObjectMeta, append(r.monitors, o)
	default:
		return fmt.Errorf("unexpected object %q", gvk)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("strict decode %s: %w", tm.Kind, err)
	}
	return checkMeta(tm.Kind, meta)
}

// checkMeta refuses what the API server would: a name that is no DNS
// subdomain, a label that is no valid key or value.
func checkMeta(kind string, m *metav1.ObjectMeta) error {
	if errs := validation.IsDNS1123Subdomain(m.Name); len(errs) > 0 {
		return fmt.Errorf("%s name %q: %s", kind, m.Name, strings.Join(errs, "; "))
	}
	if m.Namespace != "" {
		return fmt.Errorf("%s %s sets its namespace; helm -n does", kind, m.Name)
	}
	for k, v := range m.Labels {
		errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...)
		if len(errs) > 0 {
			return fmt.Errorf("%s %s label %s=%s: %s", kind, m.Name, k, v, strings.Join(errs, "; "))
		}
	}
	return nil
}

// one returns the only element of xs, failing the test when there is not
// exactly one.
func one[T any](t *testing.T, what string, xs []T) T {
	t.Helper()
	if len(xs) != 1 {
		t.Fatalf("%d %s rendered, want 1", len(xs), what)
	}
	return xs[0]
}
