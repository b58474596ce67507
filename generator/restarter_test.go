package generator_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

const restarterSpecHead = `apiVersion: mtlsgen.dev/v1alpha1
kind: MeshTLS
metadata: {name: shop}
spec:
  trust:
    anchors: [{name: root, active: true, selfSigned: {}}]
  argocd: {enabled: false}
  linkerd:
    extensions:
      viz: {enabled: true}
      jaeger: {enabled: true}
    version: "2.18"
`

// restarterSpecs cover every way of choosing the data plane, with and
// without Argo Rollouts, plus every example.
func restarterSpecs(t *testing.T) map[string]*v1alpha1.MeshTLS {
	out := map[string]*v1alpha1.MeshTLS{
		"namespaces": loadSpec(t, restarterSpecHead+"  restarter: {dataPlane: {namespaces: [shop, billing]}}\n"),
		"namespaces with rollouts": loadSpec(t, restarterSpecHead+
			"  restarter: {argoRollouts: true, dataPlane: {namespaces: [shop]}}\n"),
		"selector": loadSpec(t, restarterSpecHead+
			"  restarter:\n    dataPlane:\n      selector:\n        matchLabels: {mesh: linkerd}\n        matchExpressions: [{key: tier, operator: In, values: [web, api]}]\n"),
		"all meshed with rollouts": loadSpec(t, restarterSpecHead+"  restarter: {argoRollouts: true}\n"),
	}
	for _, name := range exampleNames(t) {
		out["example "+name] = loadExample(t, name)
	}
	return out
}

type restarterObjs struct {
	roles        []*rbacv1.Role
	bindings     []*rbacv1.RoleBinding
	clusterRoles []*rbacv1.ClusterRole
	clusterBinds []*rbacv1.ClusterRoleBinding
	cronJobs     []*batchv1.CronJob
	sas          []*corev1.ServiceAccount
}

func pickRestarter(objs []generator.Object) restarterObjs {
	var r restarterObjs
	for _, o := range objs {
		switch x := o.Object.(type) {
		case *rbacv1.Role:
			r.roles = append(r.roles, x)
		case *rbacv1.RoleBinding:
			r.bindings = append(r.bindings, x)
		case *rbacv1.ClusterRole:
			r.clusterRoles = append(r.clusterRoles, x)
		case *rbacv1.ClusterRoleBinding:
			r.clusterBinds = append(r.clusterBinds, x)
		case *batchv1.CronJob:
			r.cronJobs = append(r.cronJobs, x)
		case *corev1.ServiceAccount:
			r.sas = append(r.sas, x)
		}
		if o.Component != generator.ComponentMesh && strings.HasPrefix(o.Object.GetName(), "mtlsgen-") {
			panic("restarter object outside the mesh component")
		}
	}
	return r
}

// No rule uses "*", none grants Secrets, every verb is one the restarter
// needs, and ConfigMaps are reachable only by name.
func TestRestarter_RBACLeastPrivilege(t *testing.T) {
	allowed := []string{"get", "list", "patch", "update"}
	for name, m := range restarterSpecs(t) {
		t.Run(name, func(t *testing.T) {
			for cluster, objs := range byCluster(t, m) {
				if cluster == "" {
					continue
				}
				r := pickRestarter(objs)
				var rules []rbacv1.PolicyRule
				for _, role := range r.roles {
					rules = append(rules, role.Rules...)
				}
				for _, role := range r.clusterRoles {
					rules = append(rules, role.Rules...)
				}
				if len(rules) == 0 {
					t.Fatal("no rules rendered")
				}
				for _, rule := range rules {
					for _, list := range [][]string{rule.Verbs, rule.Resources, rule.APIGroups, rule.ResourceNames} {
						if slices.Contains(list, "*") || slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, "*") }) {
							t.Errorf("wildcard in %+v", rule)
						}
					}
					if slices.Contains(rule.Resources, "secrets") {
						t.Errorf("grants Secrets: %+v", rule)
					}
					if len(rule.NonResourceURLs) > 0 {
						t.Errorf("non-resource URLs: %+v", rule)
					}
					for _, v := range rule.Verbs {
						if !slices.Contains(allowed, v) {
							t.Errorf("verb %q in %+v", v, rule)
						}
					}
					if slices.Contains(rule.Resources, "configmaps") && len(rule.ResourceNames) == 0 {
						t.Errorf("ConfigMaps not limited by name: %+v", rule)
					}
					if slices.Contains(rule.Verbs, "update") && !cmp.Equal(rule.ResourceNames, []string{restarter.StatusConfigMap}) {
						t.Errorf("update beyond the status ConfigMap: %+v", rule)
					}
				}
			}
		})
	}
}

// A Role (and RoleBinding) in every namespace the restarter acts in and no
// other; a ClusterRole only for a selector or all meshed namespaces; Argo
// Rollouts only when asked for; every binding binds only the restarter's
// own service account to a role that exists.
func TestRestarter_RBACShape(t *testing.T) {
	for name, tc := range map[string]struct {
		spec         string
		roles        []string // namespaces
		clusterRole  bool
		rollouts     bool
		listNSInRole bool
	}{
		"namespaces": {
			spec:  "  restarter: {dataPlane: {namespaces: [shop, billing]}}\n",
			roles: []string{"billing", "linkerd", "linkerd-jaeger", "linkerd-viz", "shop"},
		},
		"namespaces with rollouts": {
			spec:  "  restarter: {argoRollouts: true, dataPlane: {namespaces: [shop]}}\n",
			roles: []string{"linkerd", "linkerd-jaeger", "linkerd-viz", "shop"}, rollouts: true,
		},
		"selector": {
			spec:  "  restarter: {dataPlane: {selector: {matchLabels: {mesh: linkerd}}}}\n",
			roles: []string{"linkerd", "linkerd-jaeger", "linkerd-viz"}, clusterRole: true, listNSInRole: true,
		},
		"all meshed": {
			spec:  "",
			roles: []string{"linkerd", "linkerd-jaeger", "linkerd-viz"}, clusterRole: true,
		},
		"namespaces, and an enrolled one": {
			spec: "  restarter: {dataPlane: {namespaces: [shop]}}\n  mesh: {namespaces: [{name: billing, inject: enabled}]}\n",
			// billing joins the data plane; its Namespace is read by name,
			// which only a ClusterRole can grant.
			roles: []string{"billing", "linkerd", "linkerd-jaeger", "linkerd-viz", "shop"}, clusterRole: true, listNSInRole: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := loadSpec(t, restarterSpecHead+tc.spec)
			r := pickRestarter(byCluster(t, m)[v1alpha1.InClusterName])
			var got []string
			for _, role := range r.roles {
				got = append(got, role.Namespace)
			}
			if diff := cmp.Diff(tc.roles, got); diff != "" {
				t.Errorf("Role namespaces (-want +got):\n%s", diff)
			}
			if len(r.bindings) != len(r.roles) || (len(r.clusterRoles) == 1) != tc.clusterRole || len(r.clusterBinds) != len(r.clusterRoles) {
				t.Errorf("%d roles, %d bindings, %d cluster roles, %d cluster bindings", len(r.roles), len(r.bindings), len(r.clusterRoles), len(r.clusterBinds))
			}
			sa := rbacv1.Subject{Kind: "ServiceAccount", Name: generator.RestarterName, Namespace: "linkerd"}
			for _, b := range r.bindings {
				if !cmp.Equal(b.Subjects, []rbacv1.Subject{sa}) || b.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: generator.RestarterName}) {
					t.Errorf("RoleBinding %s/%s: %+v %+v", b.Namespace, b.Name, b.Subjects, b.RoleRef)
				}
			}
			for _, b := range r.clusterBinds {
				if !cmp.Equal(b.Subjects, []rbacv1.Subject{sa}) || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != r.clusterRoles[0].Name {
					t.Errorf("ClusterRoleBinding %+v %+v", b.Subjects, b.RoleRef)
				}
			}
			var all []rbacv1.PolicyRule
			for _, role := range r.roles {
				all = append(all, role.Rules...)
			}
			for _, role := range r.clusterRoles {
				all = append(all, role.Rules...)
			}
			hasRollouts := slices.ContainsFunc(all, func(p rbacv1.PolicyRule) bool { return slices.Contains(p.Resources, "rollouts") })
			listsNS := slices.ContainsFunc(all, func(p rbacv1.PolicyRule) bool { return slices.Contains(p.Resources, "namespaces") })
			if hasRollouts != tc.rollouts || listsNS != tc.listNSInRole {
				t.Errorf("rollouts %v (want %v), namespaces %v (want %v)", hasRollouts, tc.rollouts, listsNS, tc.listNSInRole)
			}
		})
	}
}

// The restarter's pod passes the "restricted" Pod Security Standard, as the
// API server's own pod-security admission library evaluates it.
func TestRestarter_podSecurityRestricted(t *testing.T) {
	eval, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	restricted := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for name, m := range restarterSpecs(t) {
		t.Run(name, func(t *testing.T) {
			for cluster, objs := range byCluster(t, m) {
				if cluster == "" {
					continue
				}
				r := pickRestarter(objs)
				if len(r.cronJobs) != 1 {
					t.Fatalf("%d CronJobs", len(r.cronJobs))
				}
				tmpl := r.cronJobs[0].Spec.JobTemplate.Spec.Template
				res := psapolicy.AggregateCheckResults(eval.EvaluatePod(restricted, &tmpl.ObjectMeta, &tmpl.Spec))
				if !res.Allowed {
					t.Errorf("not restricted: %s", res.ForbiddenDetail())
				}
				// The pod mounts its own token, and only its own.
				pod := tmpl.Spec
				if pod.ServiceAccountName != generator.RestarterName || pod.AutomountServiceAccountToken == nil || !*pod.AutomountServiceAccountToken || len(pod.Volumes) != 0 {
					t.Errorf("service account %q automount %v volumes %v", pod.ServiceAccountName, pod.AutomountServiceAccountToken, pod.Volumes)
				}
				if sa := r.sas; len(sa) != 1 || sa[0].AutomountServiceAccountToken == nil || *sa[0].AutomountServiceAccountToken {
					t.Errorf("service account must not mount its token by default: %+v", sa)
				}
				c := pod.Containers[0]
				if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
					t.Error("root filesystem writable")
				}
				if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
					t.Errorf("resources %+v", c.Resources)
				}
				if tmpl.Annotations["linkerd.io/inject"] != "disabled" {
					t.Error("a meshed Job never completes")
				}
			}
		})
	}
}

func TestRestarter_cronJob(t *testing.T) {
	m := loadSpec(t, restarterSpecHead+"  restarter: {schedule: \"5 1 * * *\", dataPlane: {namespaces: [shop]}}\n  monitoring: {staleTrustRootsFor: 48h}\n")
	cj := pickRestarter(byCluster(t, m)[v1alpha1.InClusterName]).cronJobs[0]
	s := cj.Spec
	j := s.JobTemplate.Spec
	if cj.Namespace != "linkerd" || cj.Name != generator.RestarterName || s.Schedule != "5 1 * * *" ||
		s.ConcurrencyPolicy != batchv1.ForbidConcurrent || s.StartingDeadlineSeconds == nil ||
		j.BackoffLimit == nil || j.ActiveDeadlineSeconds == nil || j.TTLSecondsAfterFinished == nil {
		t.Fatalf("CronJob %+v", cj)
	}
	// The run may wait for the control plane; the deadline leaves room.
	if got, min := *j.ActiveDeadlineSeconds, int64(restarter.DefaultControlPlaneTimeout.Seconds()); got <= min {
		t.Errorf("activeDeadlineSeconds %d is not above the control-plane wait %d", got, min)
	}
	c := j.Template.Spec.Containers[0]
	if c.Image != "ghcr.io/mtlsgen/mtlsgen:"+testVersion || !cmp.Equal(c.Command, []string{"mtlsgen"}) || c.Args[0] != "restarter" {
		t.Errorf("container %s %v %v", c.Image, c.Command, c.Args)
	}

	off := loadSpec(t, restarterSpecHead+"  restarter: {enabled: false}\n")
	for _, o := range byCluster(t, off)[v1alpha1.InClusterName] {
		if n := o.Object.GetName(); n == generator.RestarterName || n == restarter.StatusConfigMap {
			t.Errorf("restarter disabled, yet %s %s rendered", o.Object.GetObjectKind().GroupVersionKind().Kind, o.Object.GetName())
		}
	}
}

func TestRestarterImage(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		img     v1alpha1.Image
		version string
		want    string
	}{
		{v1alpha1.Image{Repository: "ghcr.io/mtlsgen/mtlsgen"}, "v0.3.0", "ghcr.io/mtlsgen/mtlsgen:v0.3.0"},
		{v1alpha1.Image{Repository: "r.example/mtlsgen", Tag: "pinned"}, "v0.3.0", "r.example/mtlsgen:pinned"},
		{v1alpha1.Image{Repository: "r.example/mtlsgen", Tag: "pinned", Digest: digest}, "v0.3.0", "r.example/mtlsgen@" + digest},
		{v1alpha1.Image{Repository: "ghcr.io/mtlsgen/mtlsgen"}, "v0.3.1-0.20261124004529-f17f7e7abcde+dirty", "ghcr.io/mtlsgen/mtlsgen:v0.3.1-0.20261124004529-f17f7e7abcde_dirty"},
		{v1alpha1.Image{Repository: "ghcr.io/mtlsgen/mtlsgen"}, "", "ghcr.io/mtlsgen/mtlsgen:latest"},
	} {
		if got := generator.RestarterImage(tc.img, tc.version); got != tc.want {
			t.Errorf("RestarterImage(%+v, %s) = %s, want %s", tc.img, tc.version, got, tc.want)
		}
	}
}

// Reading the enrolled Namespaces is the one cluster-wide grant of the
// namespaces mode: get, by name, nothing else.
func TestRestarter_RBACReadsEnrolledNamespacesByName(t *testing.T) {
	m := loadSpec(t, restarterSpecHead+"  restarter: {dataPlane: {namespaces: [shop]}}\n  mesh: {namespaces: [{name: billing, inject: enabled}, {name: shop, inject: disabled}]}\n")
	r := pickRestarter(byCluster(t, m)[v1alpha1.InClusterName])
	want := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, ResourceNames: []string{"billing", "shop"}, Verbs: []string{"get"}}}
	if len(r.clusterRoles) != 1 || !cmp.Equal(want, r.clusterRoles[0].Rules) {
		t.Errorf("cluster roles %+v", r.clusterRoles)
	}
	args := r.cronJobs[0].Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, "--mesh-namespaces=billing,shop") || !slices.Contains(args, "--data-plane-namespaces=shop,billing") {
		t.Errorf("args %v", args)
	}
}
