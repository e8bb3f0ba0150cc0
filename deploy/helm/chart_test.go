package helm_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
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

// checkServer asserts what an SRE looks for in any install: one server
// replaced, never doubled; non-root, read-only, unprivileged containers with
// limits; probes on the health endpoints; Service and PDB on its pods.
func checkServer(t *testing.T, r *release) {
	t.Helper()
	dep := one(t, "Deployments", r.deployments)
	pod := dep.Spec.Template.Spec
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
		t.Errorf("replicas %v, want 1", dep.Spec.Replicas)
	}
	if dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy %q, want Recreate: a second server would find the store locked", dep.Spec.Strategy.Type)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("pod security context %+v, want runAsNonRoot", sc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("the pod mounts a service account token it never uses")
	}
	all := append(slices.Clone(pod.InitContainers), pod.Containers...)
	for _, c := range all {
		checkHardened(t, c)
	}
	c := server(t, dep)
	for _, arg := range []string{"serve", "--project=/project", "--addr=0.0.0.0:8080"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("args %v lack %s", c.Args, arg)
		}
	}
	checkProbe(t, c, "startup", c.StartupProbe, "/healthz")
	checkProbe(t, c, "liveness", c.LivenessProbe, "/healthz")
	checkProbe(t, c, "readiness", c.ReadinessProbe, "/readyz")

	// The project folder and the state are writable volumes, /tmp too; the
	// root filesystem is not.
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	for _, p := range []string{"/project", "/project/.gantry", "/tmp"} {
		if mounts[p] == "" {
			t.Errorf("nothing mounted at %s: %v", p, mounts)
		}
	}
	// Kubernetes must not kill the server before its runs have suspended.
	if grace := pod.TerminationGracePeriodSeconds; grace == nil || *grace <= shutdownGrace(t, c.Args) {
		t.Errorf("terminationGracePeriodSeconds %v does not exceed --shutdown-grace in %v", grace, c.Args)
	}

	podLabels := dep.Spec.Template.Labels
	if !selects(t, dep.Spec.Selector, podLabels) {
		t.Errorf("Deployment selector %v misses its own pods %v", dep.Spec.Selector, podLabels)
	}
	svc := one(t, "Services", r.services)
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(podLabels)) {
		t.Errorf("Service selector %v misses the pods' labels %v", svc.Spec.Selector, podLabels)
	}
	for _, p := range svc.Spec.Ports {
		if containerPort(c, p.TargetPort) != 8080 {
			t.Errorf("Service port %s targets %s, not the server's 8080", p.Name, p.TargetPort.String())
		}
	}
	pdb := one(t, "PodDisruptionBudgets", r.pdbs)
	if !selects(t, pdb.Spec.Selector, podLabels) {
		t.Errorf("PDB selector %v misses the pods' labels %v", pdb.Spec.Selector, podLabels)
	}
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Errorf("PDB sets no budget")
	}
}

func checkHardened(t *testing.T, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("container %s has no security context", c.Name)
		return
	}
	switch {
	case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
		t.Errorf("container %s may run as root", c.Name)
	case sc.RunAsUser == nil || *sc.RunAsUser != 10001:
		t.Errorf("container %s runs as %v, not the image's uid 10001", c.Name, sc.RunAsUser)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("container %s has a writable root filesystem", c.Name)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("container %s allows privilege escalation", c.Name)
	case sc.Privileged != nil && *sc.Privileged:
		t.Errorf("container %s is privileged", c.Name)
	case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
		t.Errorf("container %s keeps capabilities: %+v", c.Name, sc.Capabilities)
	case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("container %s has no RuntimeDefault seccomp profile", c.Name)
	}
	res := c.Resources
	for name, q := range map[string]resource.Quantity{
		"requests.cpu":    res.Requests[corev1.ResourceCPU],
		"requests.memory": res.Requests[corev1.ResourceMemory],
		"limits.memory":   res.Limits[corev1.ResourceMemory],
	} {
		if q.IsZero() {
			t.Errorf("container %s sets no %s", c.Name, name)
		}
	}
	if m, r := res.Limits[corev1.ResourceMemory], res.Requests[corev1.ResourceMemory]; m.Cmp(r) < 0 {
		t.Errorf("container %s memory limit %s below its request %s", c.Name, m.String(), r.String())
	}
}

func checkProbe(t *testing.T, c *corev1.Container, what string, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s probe %+v, want GET %s", what, p, path)
		return
	}
	if p.HTTPGet.Path != path || containerPort(c, p.HTTPGet.Port) != 8080 {
		t.Errorf("%s probe GET %s on port %s, want %s on 8080", what, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
	}
}

// containerPort resolves a port by name or number as the kubelet does.
func containerPort(c *corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return 0
}

func server(t *testing.T, dep *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "gantry" {
			return &dep.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatalf("Deployment %s has no gantry container", dep.Name)
	return nil
}

func volume(t *testing.T, pod corev1.PodSpec, name string) *corev1.Volume {
	t.Helper()
	for i, v := range pod.Volumes {
		if v.Name == name {
			return &pod.Volumes[i]
		}
	}
	t.Fatalf("pod has no volume %s", name)
	return nil
}

func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	if sel == nil || len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		return false // an empty selector would select every pod
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("selector %v: %v", sel, err)
	}
	return s.Matches(labels.Set(set))
}

// shutdownGrace is the --shutdown-grace in args in seconds, or gantry
// serve's default.
func shutdownGrace(t *testing.T, args []string) int64 {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--shutdown-grace="); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("%s: %v", a, err)
			}
			return int64(d / time.Second)
		}
	}
	return 30
}
