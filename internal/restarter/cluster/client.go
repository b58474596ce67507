package cluster

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/mtlsgen/mtlsgen/internal/restarter"
)

// Resources the restarter reads and writes.
var (
	ConfigMaps          = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	Pods                = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	Namespaces          = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	Deployments         = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	StatefulSets        = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
	DaemonSets          = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	ReplicaSets         = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	Rollouts            = schema.GroupVersionResource{Group: restarter.GroupArgoRollouts, Version: "v1alpha1", Resource: "rollouts"}
	Certificates        = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificates"}
	CertificateRequests = schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "certificaterequests"}
)

// FieldManager names the restarter in managedFields.
const FieldManager = "mtlsgen-restarter"

// pageSize bounds one list response, so a big cluster is read in pages.
const pageSize = 500

// Client reads and patches the restarter's objects.
type Client struct {
	dyn dynamic.Interface
}

// New wraps a dynamic client.
func New(dyn dynamic.Interface) *Client { return &Client{dyn: dyn} }

// LinkerdConfig is the ConfigMap in which Linkerd's chart records the values
// it was installed with.
const LinkerdConfig = "linkerd-config"

// ProxyLifetime reads, from the values in linkerd-config, how long a proxy
// certificate can live: identity.issuer.issuanceLifetime plus its
// clockSkewAllowance (Linkerd backdates by it, and lets it run over by it).
func (c *Client) ProxyLifetime(ctx context.Context, namespace string) (time.Duration, error) {
	u, err := c.dyn.Resource(ConfigMaps).Namespace(namespace).Get(ctx, LinkerdConfig, metav1.GetOptions{})
	if err != nil {
		return 0, fmt.Errorf("reading ConfigMap %s/%s: %w", namespace, LinkerdConfig, err)
	}
	raw, _, _ := unstructured.NestedString(u.Object, "data", "values")
	var values struct {
		Identity struct {
			Issuer struct {
				IssuanceLifetime   string `json:"issuanceLifetime"`
				ClockSkewAllowance string `json:"clockSkewAllowance"`
			} `json:"issuer"`
		} `json:"identity"`
	}
	if err := yaml.Unmarshal([]byte(raw), &values); err != nil {
		return 0, fmt.Errorf("ConfigMap %s/%s: values: %w", namespace, LinkerdConfig, err)
	}
	is := values.Identity.Issuer
	life, err := time.ParseDuration(is.IssuanceLifetime)
	if err != nil {
		return 0, fmt.Errorf("ConfigMap %s/%s: identity.issuer.issuanceLifetime %q: %w", namespace, LinkerdConfig, is.IssuanceLifetime, err)
	}
	skew, err := time.ParseDuration(is.ClockSkewAllowance)
	if err != nil {
		return 0, fmt.Errorf("ConfigMap %s/%s: identity.issuer.clockSkewAllowance %q: %w", namespace, LinkerdConfig, is.ClockSkewAllowance, err)
	}
	if life <= 0 {
		return 0, fmt.Errorf("ConfigMap %s/%s: identity.issuer.issuanceLifetime %s is not positive", namespace, LinkerdConfig, life)
	}
	if skew <= 0 {
		skew = 10 * time.Second // Linkerd's own default for 0
	}
	return life + skew, nil
}

// TrustRoots reads the bundle text of the trust roots ConfigMap, and the
// ConfigMap's resourceVersion: the same text written again (a bundle
// changed and changed back) is another version.
func (c *Client) TrustRoots(ctx context.Context, namespace string) (bundle, version string, err error) {
	u, err := c.dyn.Resource(ConfigMaps).Namespace(namespace).Get(ctx, restarter.TrustRootsConfigMap, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return "", "", fmt.Errorf("ConfigMap %s/%s not found: has trust-manager synced the Bundle %s?", namespace, restarter.TrustRootsConfigMap, restarter.TrustRootsConfigMap)
		}
		return "", "", fmt.Errorf("reading ConfigMap %s/%s: %w", namespace, restarter.TrustRootsConfigMap, err)
	}
	var cm corev1.ConfigMap
	if err := fromUnstructured(u, &cm); err != nil {
		return "", "", err
	}
	bundle, ok := cm.Data[restarter.TrustRootsKey]
	if !ok || strings.TrimSpace(bundle) == "" {
		return "", "", fmt.Errorf("ConfigMap %s/%s has no %s", namespace, restarter.TrustRootsConfigMap, restarter.TrustRootsKey)
	}
	return bundle, cm.ResourceVersion, nil
}

// ControlPlane lists the control-plane workloads in restart order: namespace
// by namespace as the config orders them, then by kind and name.
func (c *Client) ControlPlane(ctx context.Context, cfg *restarter.Config) ([]restarter.Workload, error) {
	var out []restarter.Workload
	for _, ns := range cfg.ControlPlaneNamespaces() {
		var ws []restarter.Workload
		err := c.list(ctx, Deployments, ns, metav1.ListOptions{}, func(u *unstructured.Unstructured) error {
			var d appsv1.Deployment
			if err := fromUnstructured(u, &d); err != nil {
				return err
			}
			ws = append(ws, restarter.DeploymentWorkload(&d))
			return nil
		})
		if err == nil {
			err = c.list(ctx, StatefulSets, ns, metav1.ListOptions{}, func(u *unstructured.Unstructured) error {
				var s appsv1.StatefulSet
				if err := fromUnstructured(u, &s); err != nil {
					return err
				}
				ws = append(ws, restarter.StatefulSetWorkload(&s))
				return nil
			})
		}
		if err == nil {
			err = c.list(ctx, DaemonSets, ns, metav1.ListOptions{}, func(u *unstructured.Unstructured) error {
				var d appsv1.DaemonSet
				if err := fromUnstructured(u, &d); err != nil {
					return err
				}
				ws = append(ws, restarter.DaemonSetWorkload(&d))
				return nil
			})
		}
		if err != nil {
			return nil, fmt.Errorf("listing the control plane in %s: %w", ns, err)
		}
		out = append(out, ws...) // lists come sorted by name; kinds in the order above
	}
	return out, nil
}

// Snapshot reads everything Decide needs for the bundle.
func (c *Client) Snapshot(ctx context.Context, cfg *restarter.Config, bundle string) (*restarter.Snapshot, error) {
	s := &restarter.Snapshot{Bundle: bundle}
	var err error
	// Unreadable requests (RBAC of an older release, no cert-manager) leave
	// it unknown, as before this check.
	if issuances, err := c.Issuances(ctx, cfg.LinkerdNamespace, IdentityIssuerCertificate); err == nil {
		if anchors, err := restarter.ParseAnchors(bundle); err == nil {
			if h := restarter.ReadIssuerHistory(issuances, anchors); h.Newest != nil && h.Active < 0 {
				s.IssuerOutsideBundle = fmt.Sprintf("the identity issuer in use (CertificateRequest %s, revision %d) chains to no anchor of the trust bundle", h.Newest.Name, h.Newest.Revision)
			}
		}
	}
	if s.ControlPlane, err = c.ControlPlane(ctx, cfg); err != nil {
		return nil, err
	}
	if s.DataPlaneNamespaces, err = c.dataPlaneNamespaces(ctx, cfg); err != nil {
		return nil, err
	}
	listPods := func(ns string) error { return c.meshedPods(ctx, ns, cfg.LinkerdNamespace, &s.Pods) }
	if s.DataPlaneNamespaces == nil {
		err = listPods(metav1.NamespaceAll)
	} else {
		for _, ns := range s.DataPlaneNamespaces {
			if err = listPods(ns); err != nil {
				break
			}
		}
	}
	for _, ns := range cfg.ExtensionNamespaces {
		if err == nil {
			err = c.meshedPods(ctx, ns, cfg.LinkerdNamespace, &s.ExtensionPods)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("listing meshed pods: %w", err)
	}
	if err := c.meshNamespaces(ctx, cfg, s); err != nil {
		return nil, err
	}
	for _, ns := range restarter.ReplicaSetNamespaces(s, cfg) {
		err := c.list(ctx, ReplicaSets, ns, metav1.ListOptions{}, func(u *unstructured.Unstructured) error {
			var rs appsv1.ReplicaSet
			if err := fromUnstructured(u, &rs); err != nil {
				return err
			}
			rs.Spec, rs.Status, rs.ManagedFields = appsv1.ReplicaSetSpec{}, appsv1.ReplicaSetStatus{}, nil
			s.ReplicaSets = append(s.ReplicaSets, rs)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing replica sets in %s: %w", ns, err)
		}
	}
	for _, ref := range restarter.StaleOwners(s, cfg) {
		w, found, err := c.workload(ctx, ref)
		if err != nil {
			return nil, err
		}
		if found {
			s.Workloads = append(s.Workloads, w)
		}
	}
	return s, nil
}

// meshNamespaces reads the enrolled namespaces' injection annotation and all
// their pods, meshed or not: whether a pod runs the proxy is what the run
// compares with its injection.
func (c *Client) meshNamespaces(ctx context.Context, cfg *restarter.Config, s *restarter.Snapshot) error {
	if len(cfg.MeshNamespaces) == 0 {
		return nil
	}
	s.MeshNamespaces = map[string]string{}
	for _, ns := range cfg.MeshNamespaces {
		u, err := c.dyn.Resource(Namespaces).Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // not created yet: nothing runs there
		}
		if err != nil {
			return fmt.Errorf("reading Namespace %s: %w", ns, err)
		}
		s.MeshNamespaces[ns] = u.GetAnnotations()[restarter.AnnotationInject]
		err = c.list(ctx, Pods, ns, metav1.ListOptions{}, func(u *unstructured.Unstructured) error {
			var p corev1.Pod
			if err := fromUnstructured(u, &p); err != nil {
				return err
			}
			// Keep what the decision reads: container names and
			// hostNetwork, not whole specs.
			names := func(cs []corev1.Container) []corev1.Container {
				out := make([]corev1.Container, len(cs))
				for i, c := range cs {
					out[i] = corev1.Container{Name: c.Name}
				}
				return out
			}
			p.Spec = corev1.PodSpec{Containers: names(p.Spec.Containers), InitContainers: names(p.Spec.InitContainers), HostNetwork: p.Spec.HostNetwork}
			p.Status = corev1.PodStatus{Phase: p.Status.Phase}
			p.ManagedFields = nil
			s.MeshPods = append(s.MeshPods, p)
			return nil
		})
		if err != nil {
			return fmt.Errorf("listing pods in %s: %w", ns, err)
		}
	}
	return nil
}

// StalePods counts, by namespace, the meshed pods of the whole cluster whose
// proxy holds other roots than hash (restarter.StalePodsByNamespace).
func (c *Client) StalePods(ctx context.Context, linkerdNamespace, hash string) (map[string]int, error) {
	var pods []corev1.Pod
	if err := c.meshedPods(ctx, metav1.NamespaceAll, linkerdNamespace, &pods); err != nil {
		return nil, fmt.Errorf("listing meshed pods: %w", err)
	}
	return restarter.StalePodsByNamespace(pods, hash), nil
}

// meshedPods appends to into the pods of ns (metav1.NamespaceAll for every
// namespace) that the proxy injector of the control plane in
// linkerdNamespace meshed; it labels each, so the API server filters out
// the rest. Each keeps its metadata and phase only: a big cluster's pods,
// whole, would not fit the Job's memory limit.
func (c *Client) meshedPods(ctx context.Context, ns, linkerdNamespace string, into *[]corev1.Pod) error {
	meshed := metav1.ListOptions{LabelSelector: restarter.LabelControlPlaneNS + "=" + linkerdNamespace}
	return c.list(ctx, Pods, ns, meshed, func(u *unstructured.Unstructured) error {
		var p corev1.Pod
		if err := fromUnstructured(u, &p); err != nil {
			return err
		}
		p.Spec = corev1.PodSpec{}
		p.Status = corev1.PodStatus{Phase: p.Status.Phase}
		p.ManagedFields = nil
		*into = append(*into, p)
		return nil
	})
}

// dataPlaneNamespaces resolves the data-plane selection; nil means every
// namespace.
func (c *Client) dataPlaneNamespaces(ctx context.Context, cfg *restarter.Config) ([]string, error) {
	dp := cfg.DataPlane
	switch {
	case dp.AllMeshed:
		return nil, nil
	case len(dp.Namespaces) > 0:
		return slices.Clone(dp.Namespaces), nil
	}
	out := []string{}
	err := c.list(ctx, Namespaces, "", metav1.ListOptions{LabelSelector: dp.Selector}, func(u *unstructured.Unstructured) error {
		out = append(out, u.GetName())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing namespaces matching %q: %w", dp.Selector, err)
	}
	return out, nil
}

// workload gets one data-plane workload; found is false if it is gone.
func (c *Client) workload(ctx context.Context, ref restarter.Ref) (restarter.Workload, bool, error) {
	gvr := gvrOf(ref.Kind)
	u, err := c.dyn.Resource(gvr).Namespace(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return restarter.Workload{}, false, nil
	}
	if err != nil {
		return restarter.Workload{}, false, fmt.Errorf("reading %s: %w", ref, err)
	}
	switch ref.Kind {
	case restarter.KindDeployment:
		var d appsv1.Deployment
		err = fromUnstructured(u, &d)
		return restarter.DeploymentWorkload(&d), true, err
	case restarter.KindStatefulSet:
		var s appsv1.StatefulSet
		err = fromUnstructured(u, &s)
		return restarter.StatefulSetWorkload(&s), true, err
	case restarter.KindDaemonSet:
		var d appsv1.DaemonSet
		err = fromUnstructured(u, &d)
		return restarter.DaemonSetWorkload(&d), true, err
	}
	r, err := rolloutFrom(u)
	return restarter.RolloutWorkload(r), true, err
}

func gvrOf(k restarter.Kind) schema.GroupVersionResource {
	switch k {
	case restarter.KindDeployment:
		return Deployments
	case restarter.KindStatefulSet:
		return StatefulSets
	case restarter.KindDaemonSet:
		return DaemonSets
	}
	return Rollouts
}

// rolloutFrom reads the fields of an Argo Rollout the restarter needs.
func rolloutFrom(u *unstructured.Unstructured) (*restarter.Rollout, error) {
	r := &restarter.Rollout{Namespace: u.GetNamespace(), Name: u.GetName(), Annotations: u.GetAnnotations()}
	for _, f := range []struct {
		path []string
		into **time.Time
	}{{[]string{"spec", "restartAt"}, &r.RestartAt}, {[]string{"status", "restartedAt"}, &r.RestartedAt}} {
		s, found, err := unstructured.NestedString(u.Object, f.path...)
		if err != nil || !found || s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("Rollout %s/%s: %s: %w", r.Namespace, r.Name, strings.Join(f.path, "."), err)
		}
		*f.into = &t
	}
	// What identifies the pod template: the controller's hash of it, which
	// a restartAt does not change and which follows a workloadRef's
	// template too; spec.template where the status has none yet. Neither
	// is needed to restart: one that does not read leaves the hash empty.
	r.PodHash, _, _ = unstructured.NestedString(u.Object, "status", "currentPodHash")
	if tmpl, found, err := unstructured.NestedMap(u.Object, "spec", "template"); err == nil && found {
		if runtime.DefaultUnstructuredConverter.FromUnstructured(tmpl, &r.Template) != nil {
			r.Template = corev1.PodTemplateSpec{}
		}
	}
	return r, nil
}

// Restart restarts the workload of a decision for the hash: it stamps the
// hash and the time (and a restart for injection says so) on the pod
// template (that change is the rolling restart), or, for a Rollout, on the
// object and sets spec.restartAt, which Argo Rollouts turns into a restart
// of every older pod without a new release.
func (c *Client) Restart(ctx context.Context, d restarter.Decision, hash string, now time.Time) error {
	ref := d.Ref
	stamp := map[string]any{
		restarter.AnnotationTrustRootsHash: hash,
		restarter.AnnotationRestartedAt:    now.UTC().Format(time.RFC3339),
	}
	if d.InjectionStamp != "" {
		stamp[restarter.AnnotationRestartedForInjection] = d.InjectionStamp
	}
	var patch map[string]any
	if ref.Kind == restarter.KindRollout {
		patch = map[string]any{
			"metadata": map[string]any{"annotations": stamp},
			"spec":     map[string]any{"restartAt": now.UTC().Format(time.RFC3339)},
		}
	} else {
		patch = map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": stamp}}}}
	}
	raw, err := (&unstructured.Unstructured{Object: patch}).MarshalJSON()
	if err != nil {
		return err
	}
	_, err = c.dyn.Resource(gvrOf(ref.Kind)).Namespace(ref.Namespace).Patch(ctx, ref.Name, types.MergePatchType, raw, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("restarting %s: %w", ref, err)
	}
	return nil
}

// ReadStatus reads the last status; nil if there is none yet.
func (c *Client) ReadStatus(ctx context.Context, namespace string) (*restarter.Status, error) {
	u, err := c.dyn.Resource(ConfigMaps).Namespace(namespace).Get(ctx, restarter.StatusConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
	}
	var cm corev1.ConfigMap
	if err := fromUnstructured(u, &cm); err != nil {
		return nil, err
	}
	s, _, err := restarter.StatusFromConfigMapData(cm.Data)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
	}
	return s, nil
}

// Lock takes the run lock on the status ConfigMap for holder, unless another
// run holds a live one: then it returns that lock's value. A ConfigMap that
// does not exist yet (an older render) cannot hold one: the run goes on.
// Another writer in between (a conflict) counts as a held lock.
func (c *Client) Lock(ctx context.Context, namespace, holder string, now time.Time) (heldBy string, err error) {
	res := c.dyn.Resource(ConfigMaps).Namespace(namespace)
	u, err := res.Get(ctx, restarter.StatusConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
	}
	annotations := u.GetAnnotations()
	if v := annotations[restarter.AnnotationRunLock]; v != "" {
		at, _, _ := strings.Cut(v, " ")
		if t, err := time.Parse(time.RFC3339, at); err == nil && now.Sub(t) < restarter.RunLockTTL {
			return v, nil
		}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[restarter.AnnotationRunLock] = now.UTC().Format(time.RFC3339) + " " + holder
	u.SetAnnotations(annotations)
	if _, err := res.Update(ctx, u, metav1.UpdateOptions{FieldManager: FieldManager}); apierrors.IsConflict(err) {
		return "another writer, just now", nil
	} else if err != nil {
		return "", fmt.Errorf("locking ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
	}
	return "", nil
}

// lockedBy reports that the run lock in annotations ("TIME HOLDER") is
// holder's.
func lockedBy(annotations map[string]string, holder string) bool {
	_, who, _ := strings.Cut(annotations[restarter.AnnotationRunLock], " ")
	return who == holder
}

// Unlock removes the run lock, if it is still holder's.
func (c *Client) Unlock(ctx context.Context, namespace, holder string) error {
	res := c.dyn.Resource(ConfigMaps).Namespace(namespace)
	u, err := res.Get(ctx, restarter.StatusConfigMap, metav1.GetOptions{})
	if err != nil {
		return err
	}
	annotations := u.GetAnnotations()
	if !lockedBy(annotations, holder) {
		return nil
	}
	delete(annotations, restarter.AnnotationRunLock)
	u.SetAnnotations(annotations)
	_, err = res.Update(ctx, u, metav1.UpdateOptions{FieldManager: FieldManager})
	return err
}

// WriteStatus replaces the status ConfigMap's data. mtlsgen renders the
// ConfigMap, so the restarter needs only get and update on it; it creates
// it only where it was not rendered (a kubeconfig run against a bare
// cluster). The run that writes it is done: holder's run lock goes in the
// same write.
func (c *Client) WriteStatus(ctx context.Context, namespace string, s *restarter.Status, holder string) error {
	data, err := s.ConfigMapData()
	if err != nil {
		return err
	}
	stale := strconv.FormatBool(!s.Counts.Converged())
	res := c.dyn.Resource(ConfigMaps).Namespace(namespace)
	u, err := res.Get(ctx, restarter.StatusConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: restarter.StatusConfigMap, Namespace: namespace,
				Labels: map[string]string{restarter.LabelTrustRootsStale: stale}},
			Data: data,
		}
		obj, err := toUnstructured(cm)
		if err != nil {
			return err
		}
		_, err = res.Create(ctx, obj, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil {
			return fmt.Errorf("creating ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
	}
	m := make(map[string]any, len(data))
	for k, v := range data {
		m[k] = v
	}
	if err := unstructured.SetNestedField(u.Object, m, "data"); err != nil {
		return err
	}
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[restarter.LabelTrustRootsStale] = stale
	u.SetLabels(labels)
	if a := u.GetAnnotations(); holder != "" && lockedBy(a, holder) {
		delete(a, restarter.AnnotationRunLock)
		u.SetAnnotations(a)
	}

	if _, err := res.Update(ctx, u, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("updating ConfigMap %s/%s: %w", namespace, restarter.StatusConfigMap, err)
	}
	return nil
}

// IdentityIssuerRef reads the issuerRef of the identity issuer Certificate,
// and whether the certificate in its Secret is issued for that spec: Ready,
// as of the Certificate's current generation (a changed issuerRef is a new
// generation, and cert-manager is Ready for it only once the new issuer has
// signed). Empty names when there is none (cert-manager not installed, or a
// Certificate not made by mtlsgen).
func (c *Client) IdentityIssuerRef(ctx context.Context, namespace, name string) (kind, issuer string, issued bool, err error) {
	u, err := c.dyn.Resource(Certificates).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) { // no such Certificate, or no cert-manager CRD
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("reading Certificate %s/%s: %w", namespace, name, err)
	}
	var crt cmapi.Certificate
	if err := fromUnstructured(u, &crt); err != nil {
		return "", "", false, fmt.Errorf("reading Certificate %s/%s: %w", namespace, name, err)
	}
	kind, issuer = crt.Spec.IssuerRef.Kind, crt.Spec.IssuerRef.Name
	if kind == "" {
		kind = "Issuer" // cert-manager's default
	}
	for _, cond := range crt.Status.Conditions {
		if cond.Type == cmapi.CertificateConditionReady {
			issued = cond.Status == cmmeta.ConditionTrue && cond.ObservedGeneration == crt.Generation
		}
	}
	return kind, issuer, issued, nil
}

// Issuances lists the CertificateRequests cert-manager keeps for a
// Certificate: its revisions, each with the chain it got signed. Only
// requests the Certificate owns count (not those of an earlier Certificate
// of the same name), and only revisions it has reached: a request signed
// but not yet written to the Secret is not in use.
func (c *Client) Issuances(ctx context.Context, namespace, certificate string) ([]restarter.Issuance, error) {
	u, err := c.dyn.Resource(Certificates).Namespace(namespace).Get(ctx, certificate, metav1.GetOptions{})
	if apierrors.IsNotFound(err) { // no such Certificate, or no cert-manager CRD
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Certificate %s/%s: %w", namespace, certificate, err)
	}
	var crt cmapi.Certificate
	if err := fromUnstructured(u, &crt); err != nil {
		return nil, err
	}
	var out []restarter.Issuance
	err = c.list(ctx, CertificateRequests, namespace, metav1.ListOptions{}, func(u *unstructured.Unstructured) error {
		if !slices.ContainsFunc(u.GetOwnerReferences(), func(o metav1.OwnerReference) bool { return o.UID == crt.UID }) {
			return nil
		}
		rev, err := strconv.Atoi(u.GetAnnotations()[cmapi.CertificateRequestRevisionAnnotationKey])
		if err != nil || crt.Status.Revision == nil || rev > *crt.Status.Revision {
			return nil // not made by cert-manager's issuing controller, or not in use yet
		}
		var cr cmapi.CertificateRequest
		if err := fromUnstructured(u, &cr); err != nil {
			return err
		}
		i := restarter.Issuance{Name: cr.Name, Revision: rev, Issued: cr.CreationTimestamp.UTC()}
		for _, cond := range cr.Status.Conditions {
			if cond.Type == cmapi.CertificateRequestConditionReady && cond.Status == cmmeta.ConditionTrue {
				if len(cr.Status.Certificate) > 0 {
					i.Chain = append(append(slices.Clone(cr.Status.Certificate), '\n'), cr.Status.CA...)
				}
				if cond.LastTransitionTime != nil {
					i.Issued = cond.LastTransitionTime.UTC()
				}
			}
		}
		out = append(out, i)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing CertificateRequests in %s: %w", namespace, err)
	}
	return out, nil
}

// CertificatesReadiness lists the Ready condition of the Certificates in a
// namespace (metav1.NamespaceAll for every one) that match opts.
func (c *Client) CertificatesReadiness(ctx context.Context, namespace string, opts metav1.ListOptions) ([]restarter.CertificateReadiness, error) {
	var out []restarter.CertificateReadiness
	err := c.list(ctx, Certificates, namespace, opts, func(u *unstructured.Unstructured) error {
		r := restarter.CertificateReadiness{Namespace: u.GetNamespace(), Name: u.GetName(), Message: "no Ready condition yet"}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, ci := range conds {
			cond, _ := ci.(map[string]any)
			if cond["type"] != "Ready" {
				continue
			}
			r.Ready = cond["status"] == "True"
			r.Message, _ = cond["message"].(string)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing Certificates: %w", err)
	}
	return out, nil
}

// list calls each for every object of a list, page by page.
func (c *Client) list(ctx context.Context, gvr schema.GroupVersionResource, ns string, opts metav1.ListOptions, each func(*unstructured.Unstructured) error) error {
	opts.Limit = pageSize
	for {
		l, err := c.dyn.Resource(gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return err
		}
		for i := range l.Items {
			if err := each(&l.Items[i]); err != nil {
				return err
			}
		}
		if l.GetContinue() == "" {
			return nil
		}
		opts.Continue = l.GetContinue()
	}
}

func fromUnstructured(u *unstructured.Unstructured, into any) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		return fmt.Errorf("decoding %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

func toUnstructured(obj any) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}
