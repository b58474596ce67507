package generator_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
	"github.com/mtlsgen/mtlsgen/generator"
	"github.com/mtlsgen/mtlsgen/plugin"
)

// The phases of an enrollment, each a spec edit: what the namespace, the
// patches and the control plane's default get.
func TestEnrollment_phases(t *testing.T) {
	type nsState struct{ inject, policy string }
	for name, tc := range map[string]struct {
		want        map[string]nsState // owned Namespaces
		patches     []string           // kind/namespace/name
		clusterDflt string
	}{
		"mesh-1-workloads": {
			want:        map[string]nsState{"shop": {"disabled", "all-unauthenticated"}},
			patches:     []string{"Namespace//billing", "Deployment/shop/checkout"},
			clusterDflt: "all-unauthenticated",
		},
		"mesh-2-audit":    {want: map[string]nsState{"shop": {"enabled", "audit"}}, patches: []string{"Namespace//billing"}, clusterDflt: "all-unauthenticated"},
		"mesh-3-enforce":  {want: map[string]nsState{"shop": {"enabled", "all-authenticated"}}, patches: []string{"Namespace//billing"}, clusterDflt: "all-unauthenticated"},
		"mesh-4-rollback": {want: map[string]nsState{"shop": {"disabled", "all-unauthenticated"}}, patches: []string{"Namespace//billing"}, clusterDflt: "all-unauthenticated"},
	} {
		t.Run(name, func(t *testing.T) {
			m := loadExample(t, name)
			got := map[string]nsState{}
			var patches []string
			for _, o := range byCluster(t, m)[v1alpha1.InClusterName] {
				switch x := o.Object.(type) {
				case *corev1.Namespace:
					if a := x.Annotations; a[generator.AnnotationDefaultInboundPolicy] != "" {
						got[x.Name] = nsState{a["linkerd.io/inject"], a[generator.AnnotationDefaultInboundPolicy]}
						if a[generator.AnnotationSyncOptions] != "Prune=false,Delete=false" {
							t.Errorf("Namespace %s can be pruned, and its workloads with it", x.Name)
						}
					}
				case *unstructured.Unstructured:
					if o.Component != generator.ComponentPatches {
						t.Errorf("an unstructured object outside the patches: %v", x)
					}
					if _, managed := x.GetLabels()[generator.LabelManagedBy]; managed {
						t.Error("a patch claims its object for mtlsgen")
					}
					patches = append(patches, x.GetKind()+"/"+x.GetNamespace()+"/"+x.GetName())
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(nsState{})); diff != "" {
				t.Errorf("namespaces (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.patches, patches); diff != "" {
				t.Errorf("patches (-want +got):\n%s", diff)
			}
			cp := generator.LinkerdValues(&m.Spec, m.Metadata.Name)[1]
			if d := cp.Values["proxy"].(map[string]any)["defaultInboundPolicy"]; d != tc.clusterDflt {
				t.Errorf("proxy.defaultInboundPolicy %v", d)
			}
		})
	}
}

// Enforcing cluster-wide moves the control plane's default too.
func TestEnrollment_clusterDefaultEnforce(t *testing.T) {
	m := loadSpec(t, restarterSpecHead+"  mesh: {defaultPolicy: enforce, enforce: cluster-authenticated, namespaces: [{name: shop, inject: enabled}]}\n")
	cp := generator.LinkerdValues(&m.Spec, m.Metadata.Name)[1]
	if d := cp.Values["proxy"].(map[string]any)["defaultInboundPolicy"]; d != "cluster-authenticated" {
		t.Errorf("proxy.defaultInboundPolicy %v", d)
	}
	for _, o := range byCluster(t, m)[v1alpha1.InClusterName] {
		if ns, ok := o.Object.(*corev1.Namespace); ok && ns.Name == "shop" && ns.Annotations[generator.AnnotationDefaultInboundPolicy] != "cluster-authenticated" {
			t.Errorf("shop: %v", ns.Annotations)
		}
	}
}

// The plugins deliver what they render as it is: never the patches.
func TestEnrollment_pluginsLeavePatchesOut(t *testing.T) {
	m := loadExample(t, "mesh-1-workloads")
	objs, err := plugin.Render(m, generator.Options{Version: testVersion, Cluster: v1alpha1.InClusterName})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.Component == generator.ComponentPatches {
			t.Errorf("plugin output holds the patch %s", o.Object.GetName())
		}
	}
	if _, err := plugin.Render(m, generator.Options{Version: testVersion, Component: generator.ComponentPatches}); err == nil {
		t.Error("a plugin delivered the patches component")
	}
}
