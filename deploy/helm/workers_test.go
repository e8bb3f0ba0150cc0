package helm_test

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestScaleOut: on PostgreSQL, three server replicas and three workers.
// The servers roll (no volume, no store lock), the workers are a
// Deployment of their own running `gantry worker` with their slots,
// labels and grace, reading the store's URL from the same Secret; the
// Service and the servers' Deployment select no worker pod, nor the
// workers' Deployment a server pod.
func TestScaleOut(t *testing.T) {
	t.Parallel()
	r := render(t, valuesYAML(t, `
replicaCount: 3
store:
  type: postgres
  postgres: {url: {secretKeyRef: {name: db, key: url}}}
persistence: {enabled: false}
secretEnv: {GANTRY_SECRET_WAREHOUSE: {secretKeyRef: {name: wh, key: password}}}
workers:
  enabled: true
  replicaCount: 3
  slots: 8
  labels: {zone: eu-1, gpu: "true"}
  graceSeconds: 45
`))
	if len(r.deployments) != 2 || len(r.claims) != 0 {
		t.Fatalf("%d Deployments and %d claims, want 2 and none", len(r.deployments), len(r.claims))
	}
	var srv, wrk *appsv1.Deployment
	for _, d := range r.deployments {
		switch d.Spec.Template.Labels["app.kubernetes.io/component"] {
		case "server":
			srv = d
		case "worker":
			wrk = d
		}
	}
	if srv == nil || wrk == nil {
		t.Fatalf("want a server and a worker Deployment, got %v", r.deployments)
	}
	if *srv.Spec.Replicas != 3 || srv.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType {
		t.Errorf("servers: %d replicas, strategy %s; want 3, RollingUpdate", *srv.Spec.Replicas, srv.Spec.Strategy.Type)
	}
	if *wrk.Spec.Replicas != 3 || wrk.Name != "gantry-worker" {
		t.Errorf("workers: %s with %d replicas, want gantry-worker with 3", wrk.Name, *wrk.Spec.Replicas)
	}
	pod := wrk.Spec.Template.Spec
	c := one(t, "worker containers", pod.Containers)
	for _, arg := range []string{"worker", "--project=/project", "--slots=8", "--grace=45s", "--labels=gpu=true,zone=eu-1"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("worker args %v lack %s", c.Args, arg)
		}
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != 60 {
		t.Errorf("worker grace period %v, want 60 (the drain's 45 + 15)", pod.TerminationGracePeriodSeconds)
	}
	if len(c.Ports) != 0 {
		t.Errorf("worker ports %v: a worker serves nothing", c.Ports)
	}
	env := map[string]*corev1.EnvVarSource{}
	for _, e := range c.Env {
		if e.Value != "" {
			t.Errorf("worker env %s has an inline value", e.Name)
		}
		env[e.Name] = e.ValueFrom
	}
	if s := env["GANTRY_STORE"]; s == nil || s.SecretKeyRef == nil || s.SecretKeyRef.Name != "db" || s.SecretKeyRef.Key != "url" {
		t.Errorf("worker GANTRY_STORE %+v, want the Secret db's key url", s)
	}
	if s := env["GANTRY_SECRET_WAREHOUSE"]; s == nil || s.SecretKeyRef == nil || s.SecretKeyRef.Name != "wh" {
		t.Errorf("worker GANTRY_SECRET_WAREHOUSE %+v, want the Secret wh: a worker resolves its tasks' secrets", s)
	}
	for _, ic := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		checkHardened(t, ic)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("the worker pod mounts a service account token it never uses")
	}
	if v := volume(t, pod, "config"); v.ConfigMap == nil || v.ConfigMap.Name != "gantry-project" {
		t.Errorf("worker config volume %+v, want the project's ConfigMap", v.VolumeSource)
	}

	svc := one(t, "Services", r.services)
	if selects(t, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, wrk.Spec.Template.Labels) {
		t.Errorf("the Service selects worker pods (%v)", wrk.Spec.Template.Labels)
	}
	if selects(t, srv.Spec.Selector, wrk.Spec.Template.Labels) || selects(t, wrk.Spec.Selector, srv.Spec.Template.Labels) {
		t.Errorf("the Deployments' selectors overlap: servers %v, workers %v", srv.Spec.Selector, wrk.Spec.Selector)
	}
	if !selects(t, wrk.Spec.Selector, wrk.Spec.Template.Labels) {
		t.Errorf("the workers' selector %v misses their pods' labels %v", wrk.Spec.Selector, wrk.Spec.Template.Labels)
	}
}
