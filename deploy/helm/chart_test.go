package helm_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/spec"
	corev1 "k8s.io/api/core/v1"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	r := render(t, nil)
	dep := one(t, "Deployments", r.deployments)
	pod := dep.Spec.Template.Spec
	checkServer(t, r)

	if got, want := server(t, dep).Image, "gantry:"+r.chart.Metadata.AppVersion; got != want {
		t.Errorf("image %q, want %q (the tag defaults to the chart's appVersion)", got, want)
	}
	if len(r.monitors) != 0 {
		t.Errorf("a ServiceMonitor rendered though serviceMonitor.enabled is false")
	}
	if env := server(t, dep).Env; len(env) != 0 {
		t.Errorf("the SQLite default sets env %v, want none", env)
	}

	// The embedded store lives on a ReadWriteOnce claim the chart makes.
	pvc := one(t, "PersistentVolumeClaims", r.claims)
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("claim access modes %v, want [ReadWriteOnce]", pvc.Spec.AccessModes)
	}
	if pvc.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("the store's claim would be deleted with the release")
	}
	state := volume(t, pod, "state")
	if state.PersistentVolumeClaim == nil || state.PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Errorf("state volume %+v, want claim %s", state.VolumeSource, pvc.Name)
	}

	// The demonstration project in values.yaml is one Gantry loads.
	cm := one(t, "ConfigMaps", r.configMaps)
	config := volume(t, pod, "config").ConfigMap
	if config == nil || config.Name != cm.Name {
		t.Fatalf("config volume %+v, want ConfigMap %s", volume(t, pod, "config").VolumeSource, cm.Name)
	}
	dir := projectDir(t, pod, cm)
	proj, pipelines, err := spec.LoadProject(dir)
	if err != nil {
		t.Fatalf("the default project does not load: %v", err)
	}
	if proj == nil || len(pipelines) != 1 || pipelines[0].Name != "hello" {
		t.Errorf("default project %+v with %d pipelines, want pipeline hello", proj, len(pipelines))
	}
	if !strings.Contains(r.notes, "admin-token") {
		t.Errorf("NOTES do not say where the admin token is:\n%s", r.notes)
	}
}

func TestProduction(t *testing.T) {
	t.Parallel()
	r := render(t, valuesFile(t, productionFile))
	dep := one(t, "Deployments", r.deployments)
	c := server(t, dep)
	checkServer(t, r)

	if c.Image != "registry.example.com/platform/gantry:0.1.0" {
		t.Errorf("image %q", c.Image)
	}
	if !slices.Contains(c.Args, "--env=prod") {
		t.Errorf("args %v lack --env=prod", c.Args)
	}
	// Every variable, the store's URL first, comes from a Secret by reference.
	want := map[string]corev1.SecretKeySelector{
		"GANTRY_STORE": {LocalObjectReference: corev1.LocalObjectReference{Name: "gantry-store"}, Key: "url"},
		"PGPASSWORD":   {LocalObjectReference: corev1.LocalObjectReference{Name: "gantry-store"}, Key: "password"},
	}
	for _, e := range c.Env {
		if e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("env %s is not from a secretKeyRef: %+v", e.Name, e)
			continue
		}
		if w, ok := want[e.Name]; ok {
			if *e.ValueFrom.SecretKeyRef != w {
				t.Errorf("env %s from %+v, want %+v", e.Name, *e.ValueFrom.SecretKeyRef, w)
			}
			delete(want, e.Name)
		}
	}
	for name := range want {
		t.Errorf("env %s missing", name)
	}

	// The project is the operator's ConfigMap; the chart makes none.
	if len(r.configMaps) != 0 {
		t.Errorf("%d ConfigMaps rendered beside the existing one", len(r.configMaps))
	}
	if cfg := volume(t, dep.Spec.Template.Spec, "config").ConfigMap; cfg == nil || cfg.Name != "gantry-project" {
		t.Errorf("config volume does not mount ConfigMap gantry-project")
	}
	pvc := one(t, "PersistentVolumeClaims", r.claims)
	if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "ssd" {
		t.Errorf("claim storage class %v, want ssd", pvc.Spec.StorageClassName)
	}

	// Prometheus scrapes /metrics through the Service's named port.
	sm := one(t, "ServiceMonitors", r.monitors)
	svc := one(t, "Services", r.services)
	if !selects(t, &sm.Spec.Selector, svc.Labels) {
		t.Errorf("ServiceMonitor selector %v misses Service labels %v", sm.Spec.Selector, svc.Labels)
	}
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor labels %v lack the Prometheus selector's", sm.Labels)
	}
	ep := one(t, "ServiceMonitor endpoints", sm.Spec.Endpoints)
	if ep.Path != "/metrics" || !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
		t.Errorf("ServiceMonitor endpoint %+v, want /metrics on a Service port", ep)
	}
}

// TestPostgresWithoutClaim: with the records in PostgreSQL the state may
// go with the pod; the chart then makes no claim. A digest pins the image.
func TestPostgresWithoutClaim(t *testing.T) {
	t.Parallel()
	r := render(t, valuesYAML(t, `
store:
  type: postgres
  postgres: {url: {secretKeyRef: {name: db, key: url}}}
persistence: {enabled: false}
image: {digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
`))
	checkServer(t, r)
	if len(r.claims) != 0 {
		t.Errorf("%d claims rendered with persistence disabled", len(r.claims))
	}
	dep := one(t, "Deployments", r.deployments)
	if got, want := server(t, dep).Image, "gantry@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; got != want {
		t.Errorf("image %q, want %q: a digest pins the image", got, want)
	}
	if v := volume(t, dep.Spec.Template.Spec, "state"); v.EmptyDir == nil {
		t.Errorf("state volume %+v, want an emptyDir", v.VolumeSource)
	}
	if !strings.Contains(r.notes, "emptyDir") {
		t.Errorf("NOTES do not warn that the state goes with the pod")
	}
}
