package generator

import (
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// RestarterName names the restarter's CronJob, ServiceAccount and RBAC
// objects.
const RestarterName = "mtlsgen-restarter"

// restarterUID is the user the restarter runs as: distroless's "nonroot",
// numeric so the kubelet can check runAsNonRoot without reading the image.
const restarterUID = 65532

// Job limits. The run may wait up to the control-plane timeout for the
// control plane to roll out, then restarts the data plane; ten minutes on
// top covers listing a large cluster page by page.
var (
	restarterActiveDeadline = int64(restarter.DefaultControlPlaneTimeout.Seconds()) + 600
	// A missed schedule (controller down, cluster upgrade) is run up to
	// five minutes late, else skipped until the next one: a late run is as
	// good as a punctual one, and a bounded window keeps the CronJob
	// controller from giving up on "too many missed start times".
	restarterStartingDeadline = int64(300)
	// One retry for a transient API error; a second failure waits for the
	// next schedule.
	restarterBackoffLimit = int32(1)
	// Finished Jobs and their logs stay a day for reading.
	restarterTTL = int32(86400)
)

// restarterObjects makes the CronJob that restarts workloads holding stale
// trust roots, its ServiceAccount, its least-privilege RBAC and the status
// ConfigMap it fills.
func restarterObjects(c *clusterContext) []Object {
	r := c.spec.Restarter
	if !v1alpha1.IsEnabled(r.Enabled) {
		return nil
	}
	ns := c.spec.Linkerd.Namespace
	cfg := RestarterConfig(c.spec)
	out := []Object{
		mesh(restarterMeta(&corev1.ServiceAccount{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: objectMeta(RestarterName, ns),
			// Nothing mounts its token by default; the restarter's pod
			// opts in, and nothing else runs as this account.
			AutomountServiceAccountToken: ptr.To(false),
		})),
		mesh(restarterMeta(&corev1.ConfigMap{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: restarter.StatusConfigMap, Namespace: ns, Annotations: map[string]string{
				// Rendered empty so the restarter needs update, not create,
				// on ConfigMaps: create cannot be limited to one name.
				AnnotationNote: "written by the restarter after every run; read it with mtlsgen status",
			}},
		})),
	}
	for _, rb := range restarterRBAC(&cfg) {
		out = append(out, mesh(rb))
	}
	out = append(out, mesh(restarterCronJob(c, &cfg)))
	return append(out, restarterPolicy(c)...)
}

// RestarterConfig is the restarter configuration a spec renders into the
// CronJob's arguments.
func RestarterConfig(s *v1alpha1.MeshTLSSpec) restarter.Config {
	r := s.Restarter
	cp := s.ControlPlaneNamespaces()
	cfg := restarter.Config{
		LinkerdNamespace:    cp[0],
		MaxRestarts:         int(ptr.Deref(r.MaxRestartsPerRun, 1)),
		ArgoRollouts:        r.ArgoRollouts,
		ControlPlaneTimeout: restarter.DefaultControlPlaneTimeout,
	}
	if len(cp) > 1 {
		cfg.ExtensionNamespaces = cp[1:]
	}
	cfg.MeshNamespaces = s.Mesh.Names()
	switch dp := r.DataPlane; {
	case len(dp.Namespaces) > 0:
		// The enrolled namespaces are data plane too: their trust roots
		// go stale like any other's.
		cfg.DataPlane.Namespaces = slices.Clone(dp.Namespaces)
		for _, ns := range cfg.MeshNamespaces {
			if !slices.Contains(cfg.DataPlane.Namespaces, ns) {
				cfg.DataPlane.Namespaces = append(cfg.DataPlane.Namespaces, ns)
			}
		}
	case dp.Selector != nil:
		cfg.DataPlane.Selector = metav1.FormatLabelSelector(dp.Selector)
	default:
		cfg.DataPlane.AllMeshed = true
	}
	return cfg
}

func restarterMeta[T KubeObject](o T) T {
	l := o.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l["app.kubernetes.io/name"] = RestarterName
	o.SetLabels(l)
	return o
}

// Rules of the restarter's roles. Every rule names its verbs and resources;
// none grants Secrets, and none uses "*" (a test checks the rendered
// objects).
var (
	ruleControlPlane = rbacv1.PolicyRule{
		// list to find every control-plane workload; patch to stamp it.
		APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "statefulsets"},
		Verbs: []string{"list", "patch"},
	}
	ruleDataPlane = []rbacv1.PolicyRule{
		// Meshed pods, and the ReplicaSets between a pod and its
		// Deployment or Rollout.
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: []string{"list"}},
		// The owners of stale pods, by name, and their restart.
		{APIGroups: []string{"apps"}, Resources: []string{"daemonsets", "deployments", "statefulsets"}, Verbs: []string{"get", "patch"}},
	}
	// The extensions' meshed pods and the ReplicaSets between a pod and
	// its Deployment: the proxy injector gives them their roots, so they
	// are judged by their pods.
	ruleExtensionPods = []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: []string{"list"}},
	}
	ruleRollouts = rbacv1.PolicyRule{
		APIGroups: []string{restarter.GroupArgoRollouts}, Resources: []string{"rollouts"}, Verbs: []string{"get", "patch"},
	}
)

// restarterRBAC is a Role and RoleBinding per namespace the restarter acts in
// and, when the data plane is chosen by label or is every meshed namespace, a
// ClusterRole and ClusterRoleBinding for it.
func restarterRBAC(cfg *restarter.Config) []KubeObject {
	ns := cfg.LinkerdNamespace
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: RestarterName, Namespace: ns}
	var out []KubeObject
	role := func(namespace string, rules []rbacv1.PolicyRule) {
		out = append(out,
			restarterMeta(&rbacv1.Role{
				TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
				ObjectMeta: objectMeta(RestarterName, namespace),
				Rules:      rules,
			}),
			restarterMeta(&rbacv1.RoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
				ObjectMeta: objectMeta(RestarterName, namespace),
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: RestarterName},
				Subjects:   []rbacv1.Subject{subject},
			}))
	}

	role(ns, []rbacv1.PolicyRule{
		// The trust roots and the status, by name only.
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{restarter.TrustRootsConfigMap, restarter.StatusConfigMap}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{restarter.StatusConfigMap}, Verbs: []string{"update"}},
		// Which anchor signs the identity issuer, recorded in the status.
		{APIGroups: []string{"cert-manager.io"}, Resources: []string{"certificates"}, ResourceNames: []string{IdentityIssuerName}, Verbs: []string{"get"}},
		// Which anchor the identity issuer in use chains to: while it is
		// none of the bundle's, no restart is safe. Requests hold public
		// certificates only; list cannot be narrowed by name.
		{APIGroups: []string{"cert-manager.io"}, Resources: []string{"certificaterequests"}, Verbs: []string{"list"}},
		ruleControlPlane,
	})
	for _, ext := range cfg.ExtensionNamespaces {
		role(ext, append([]rbacv1.PolicyRule{ruleControlPlane}, ruleExtensionPods...))
	}

	dataRules := slices.Clone(ruleDataPlane)
	if cfg.ArgoRollouts {
		dataRules = append(dataRules, ruleRollouts)
	}
	clusterRole := func(rules []rbacv1.PolicyRule) {
		out = append(out,
			restarterMeta(&rbacv1.ClusterRole{
				TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
				ObjectMeta: objectMeta(RestarterName, ""),
				Rules:      rules,
			}),
			restarterMeta(&rbacv1.ClusterRoleBinding{
				TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
				ObjectMeta: objectMeta(RestarterName, ""),
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: RestarterName},
				Subjects:   []rbacv1.Subject{subject},
			}))
	}
	// The enrolled namespaces' injection annotation, by name: a Namespace
	// is cluster-scoped, so this one rule needs a ClusterRole.
	var readMeshNamespaces []rbacv1.PolicyRule
	if len(cfg.MeshNamespaces) > 0 {
		readMeshNamespaces = []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: cfg.MeshNamespaces, Verbs: []string{"get"}}}
	}

	if len(cfg.DataPlane.Namespaces) > 0 {
		for _, dns := range cfg.DataPlane.Namespaces {
			role(dns, dataRules)
		}
		if readMeshNamespaces != nil {
			clusterRole(readMeshNamespaces)
		}
		return out
	}
	if cfg.DataPlane.Selector != "" {
		dataRules = append([]rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list"}}}, dataRules...)
	}
	clusterRole(append(readMeshNamespaces, dataRules...))
	return out
}

// RestarterImage is the image reference of the restarter: the digest wins
// over the tag; the tag defaults to the version of the rendering mtlsgen,
// with a build-metadata "+" (a Go pseudo-version of a modified checkout ends
// in +dirty) written "_", since image tags cannot hold "+" (Helm writes
// chart versions into OCI tags the same way).
func RestarterImage(img v1alpha1.Image, version string) string {
	if img.Digest != "" {
		return img.Repository + "@" + img.Digest
	}
	tag := img.Tag
	if tag == "" {
		tag = strings.ReplaceAll(version, "+", "_")
	}
	if tag == "" {
		tag = "latest"
	}
	return img.Repository + ":" + tag
}

func restarterCronJob(c *clusterContext, cfg *restarter.Config) *batchv1.CronJob {
	r := c.spec.Restarter
	labels := map[string]string{"app.kubernetes.io/name": RestarterName}
	pod := corev1.PodSpec{
		ServiceAccountName: RestarterName,
		// The run talks to the API server as its own service account: the
		// default projected token, and nothing else.
		AutomountServiceAccountToken: ptr.To(true),
		RestartPolicy:                corev1.RestartPolicyNever,
		EnableServiceLinks:           ptr.To(false),
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To(int64(restarterUID)),
			RunAsGroup:     ptr.To(int64(restarterUID)),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            "restarter",
			Image:           RestarterImage(r.Image, c.opts.Version),
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         []string{"mtlsgen"},
			Args:            append([]string{"restarter"}, cfg.Args()...),
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				ReadOnlyRootFilesystem:   ptr.To(true),
				RunAsNonRoot:             ptr.To(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
			TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		}},
	}
	return restarterMeta(&batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: batchv1.SchemeGroupVersion.String(), Kind: "CronJob"},
		ObjectMeta: objectMeta(RestarterName, c.spec.Linkerd.Namespace),
		Spec: batchv1.CronJobSpec{
			Schedule:                   r.Schedule,
			TimeZone:                   ptr.To("Etc/UTC"),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr.To(restarterStartingDeadline),
			SuccessfulJobsHistoryLimit: ptr.To(int32(1)),
			FailedJobsHistoryLimit:     ptr.To(int32(3)),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: batchv1.JobSpec{
					BackoffLimit:            ptr.To(restarterBackoffLimit),
					ActiveDeadlineSeconds:   ptr.To(restarterActiveDeadline),
					TTLSecondsAfterFinished: ptr.To(restarterTTL),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{
							Labels: labels,
							// A meshed Job never completes: its proxy
							// outlives the restarter. The Linkerd
							// namespace disables injection already; this
							// holds if someone changes that.
							Annotations: map[string]string{annotationInject: "disabled"},
						},
						Spec: pod,
					},
				},
			},
		},
	})
}
