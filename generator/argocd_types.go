package generator

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Argo CD's Go API module cannot be imported here (it needs Go 1.27 and
// pulls in hundreds of modules), so these are small local types for exactly
// the fields mtlsgen emits, with Argo CD's JSON names (argoproj.io/v1alpha1,
// manifests/crds/application{,set}-crd.yaml). Tests decode the expanded
// Applications into them strictly, and the end-to-end test applies them to
// an API server that has Argo CD's real CRDs.

// ArgoAPIVersion is the API version of Argo CD's kinds.
const ArgoAPIVersion = "argoproj.io/v1alpha1"

// ApplicationSet generates Applications from generators and a template.
type ApplicationSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ApplicationSetSpec `json:"spec"`
}

// ApplicationSetSpec is the spec of an ApplicationSet.
type ApplicationSetSpec struct {
	GoTemplate        bool                      `json:"goTemplate,omitempty"`
	GoTemplateOptions []string                  `json:"goTemplateOptions,omitempty"`
	Generators        []ApplicationSetGenerator `json:"generators"`
	Template          ApplicationSetTemplate    `json:"template"`
	TemplatePatch     string                    `json:"templatePatch,omitempty"`
	SyncPolicy        *ApplicationSetSyncPolicy `json:"syncPolicy,omitempty"`
	Strategy          *ApplicationSetStrategy   `json:"strategy,omitempty"`
}

// ApplicationSetGenerator is one generator; exactly one field is set.
type ApplicationSetGenerator struct {
	List     *ListGenerator    `json:"list,omitempty"`
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	Matrix   *MatrixGenerator  `json:"matrix,omitempty"`
}

// MatrixGenerator combines every parameter set of one generator with every
// one of the other.
type MatrixGenerator struct {
	Generators []ApplicationSetGenerator `json:"generators"`
}

// ListGenerator yields its elements as parameter sets.
type ListGenerator struct {
	Elements []map[string]any `json:"elements"`
}

// ClusterGenerator yields one parameter set per Argo CD cluster Secret the
// selector matches (name, server, metadata.labels...).
type ClusterGenerator struct {
	Selector metav1.LabelSelector `json:"selector"`
}

// ApplicationSetTemplate is the Application every parameter set fills in.
type ApplicationSetTemplate struct {
	ApplicationSetTemplateMeta `json:"metadata"`
	Spec                       ApplicationSpec `json:"spec"`
}

// ApplicationSetTemplateMeta is the metadata of generated Applications.
type ApplicationSetTemplateMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Finalizers  []string          `json:"finalizers,omitempty"`
}

// ApplicationSetSyncPolicy controls what the ApplicationSet controller does to
// the Applications it generated.
type ApplicationSetSyncPolicy struct {
	PreserveResourcesOnDeletion bool `json:"preserveResourcesOnDeletion,omitempty"`
}

// ApplicationSetStrategy orders the syncs of generated Applications.
type ApplicationSetStrategy struct {
	Type        string                         `json:"type"`
	RollingSync *ApplicationSetRolloutStrategy `json:"rollingSync,omitempty"`
}

// ApplicationSetRolloutStrategy is a RollingSync strategy.
type ApplicationSetRolloutStrategy struct {
	Steps []ApplicationSetRolloutStep `json:"steps"`
}

// ApplicationSetRolloutStep is one step: the Applications whose labels match.
type ApplicationSetRolloutStep struct {
	MatchExpressions []ApplicationMatchExpression `json:"matchExpressions"`
}

// ApplicationMatchExpression matches Application labels.
type ApplicationMatchExpression struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// Application is one Argo CD Application, as the ApplicationSet controller
// creates it.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ApplicationSpec `json:"spec"`
}

// ApplicationSpec is what an Application deploys, where, and how it syncs.
type ApplicationSpec struct {
	Source      *ApplicationSource     `json:"source,omitempty"`
	Destination ApplicationDestination `json:"destination"`
	Project     string                 `json:"project"`
	SyncPolicy  *SyncPolicy            `json:"syncPolicy,omitempty"`
}

// ApplicationSource is a Helm chart, a git directory or a plugin.
type ApplicationSource struct {
	RepoURL        string                      `json:"repoURL"`
	Path           string                      `json:"path,omitempty"`
	TargetRevision string                      `json:"targetRevision,omitempty"`
	Chart          string                      `json:"chart,omitempty"`
	Helm           *ApplicationSourceHelm      `json:"helm,omitempty"`
	Directory      *ApplicationSourceDirectory `json:"directory,omitempty"`
	Plugin         *ApplicationSourcePlugin    `json:"plugin,omitempty"`
}

// ApplicationSourceHelm sets the release name and values of a Helm source.
type ApplicationSourceHelm struct {
	ReleaseName  string         `json:"releaseName,omitempty"`
	ValuesObject map[string]any `json:"valuesObject,omitempty"`
}

// ApplicationSourceDirectory selects files of a plain directory source.
type ApplicationSourceDirectory struct {
	Recurse bool   `json:"recurse,omitempty"`
	Include string `json:"include,omitempty"`
}

// ApplicationSourcePlugin renders with a Config Management Plugin.
type ApplicationSourcePlugin struct {
	Name       string                             `json:"name,omitempty"`
	Parameters []ApplicationSourcePluginParameter `json:"parameters,omitempty"`
}

// ApplicationSourcePluginParameter is a string parameter of a plugin.
type ApplicationSourcePluginParameter struct {
	Name   string `json:"name"`
	String string `json:"string,omitempty"`
}

// ApplicationDestination is the cluster and namespace to deploy to.
type ApplicationDestination struct {
	Server    string `json:"server,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy is how an Application syncs.
type SyncPolicy struct {
	Automated   *SyncPolicyAutomated `json:"automated,omitempty"`
	SyncOptions []string             `json:"syncOptions,omitempty"`
	Retry       *RetryStrategy       `json:"retry,omitempty"`
}

// SyncPolicyAutomated syncs on every change.
type SyncPolicyAutomated struct {
	Prune    bool `json:"prune,omitempty"`
	SelfHeal bool `json:"selfHeal,omitempty"`
}

// RetryStrategy retries a failed sync.
type RetryStrategy struct {
	Limit   int64    `json:"limit"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

// Backoff is the wait between retries.
type Backoff struct {
	Duration    string `json:"duration"`
	Factor      int64  `json:"factor"`
	MaxDuration string `json:"maxDuration"`
}

// DeepCopyObject makes ApplicationSet a runtime.Object.
func (a *ApplicationSet) DeepCopyObject() runtime.Object { return deepCopyJSON(a, &ApplicationSet{}) }

// DeepCopyObject makes Application a runtime.Object.
func (a *Application) DeepCopyObject() runtime.Object { return deepCopyJSON(a, &Application{}) }

// deepCopyJSON copies through JSON. These types hold only strings, numbers,
// booleans and maps of them, which always marshal and unmarshal, so the
// errors cannot happen.
func deepCopyJSON[T runtime.Object](in, out T) runtime.Object {
	raw, _ := json.Marshal(in)
	_ = json.Unmarshal(raw, out)
	return out
}
