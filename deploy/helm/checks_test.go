package helm_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

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
