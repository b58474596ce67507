package check

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	// The CronJob controller judges spec.timeZone with the zone database
	// built into kube-controller-manager; check carries one too, so that
	// MTLS090 says the same on a machine (or image) without one.
	_ "time/tzdata"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/mtlsgen/mtlsgen/api/v1alpha1"
)

// jobPod returns the pod template of a Job or CronJob, and its field path.
func jobPod(d *Doc) (map[string]any, string) {
	if d.Group() != "batch" {
		return nil, ""
	}
	switch d.Kind() {
	case "CronJob":
		t, _ := get(d.Obj, "spec", "jobTemplate", "spec", "template").(map[string]any)
		return t, "spec.jobTemplate.spec.template"
	case "Job":
		t, _ := get(d.Obj, "spec", "template").(map[string]any)
		return t, "spec.template"
	}
	return nil, ""
}

var deletesSecrets = regexp.MustCompile(`\bdelete\s+(?:-\S+\s+)*(?:secrets?|secret/\S+)\b`)

// checkWorkloads: MTLS060-063.
func checkWorkloads(c *cluster) []Finding {
	var out []Finding
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	for _, d := range c.docs {
		if pod, path := jobPod(d); pod != nil {
			out = append(out, checkJobPod(d, pod, path, evaluator, err)...)
		}
		if d.Group() == "rbac.authorization.k8s.io" && (d.Kind() == "Role" || d.Kind() == "ClusterRole") && !fromHelmChart(d) {
			out = append(out, checkRules(d)...)
		}
	}
	return out
}

func checkJobPod(d *Doc, pod map[string]any, path string, evaluator policy.Evaluator, evalErr error) []Finding {
	var out []Finding
	containers, _ := get(pod, "spec", "containers").([]any)
	for i, ct := range containers {
		cm, _ := ct.(map[string]any)
		script := strings.Join(append(strings_(cm["command"]), strings_(cm["args"])...), " ")
		if deletesSecrets.MatchString(script) {
			out = append(out, at(RuleDeletesSecrets, d, fmt.Sprintf("%s.spec.containers[%d]", path, i),
				fmt.Sprintf("container %s deletes Secrets: cert-manager re-issues them all at once with new keys, anchors included, and the mesh loses trust until every pod restarts",
					str(cm, "name")),
				"delete nothing: issuers and webhooks hot-reload; restart only workloads whose trust roots are stale (mtlsgen's restarter)"))
		}
	}
	if len(containers) > 1 {
		out = append(out, at(RuleOrderedContainers, d, path+".spec.containers",
			fmt.Sprintf("%d containers in one job pod start together: if one must finish before another starts, they race", len(containers)),
			"move earlier steps to initContainers, or do them in one container"))
	}
	if evalErr != nil {
		return out
	}
	var spec corev1.PodSpec
	var meta metav1.ObjectMeta
	if decodeInto(pod, &struct {
		Metadata *metav1.ObjectMeta `json:"metadata"`
		Spec     *corev1.PodSpec    `json:"spec"`
	}{&meta, &spec}) != nil {
		return out
	}
	var reasons []string
	for _, r := range evaluator.EvaluatePod(psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, &meta, &spec) {
		if !r.Allowed {
			reasons = append(reasons, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	if len(reasons) > 0 {
		out = append(out, at(RuleRestrictedPSS, d, path+".spec",
			"fails the restricted Pod Security Standard: "+strings.Join(reasons, "; ")+"; a namespace enforcing restricted refuses it",
			"runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL], seccompProfile.type: RuntimeDefault"))
	}
	return out
}

// fromHelmChart reports an object a Helm chart rendered (Helm's standard
// helm.sh/chart label), as in a tree `mtlsgen render --hydrate` wrote: its
// RBAC is the chart's, reviewed by its maintainers, and a controller such as
// cert-manager must manage Secrets. MTLS063 is for roles written by hand.
func fromHelmChart(d *Doc) bool {
	return str(d.Obj, "metadata", "labels", "helm.sh/chart") != ""
}

func checkRules(d *Doc) []Finding {
	var out []Finding
	rules, _ := get(d.Obj, "rules").([]any)
	for i, r := range rules {
		rm, _ := r.(map[string]any)
		resources, verbs := strings_(rm["resources"]), strings_(rm["verbs"])
		var grants []string
		if slices.Contains(resources, "secrets") {
			grants = append(grants, "Secrets")
		}
		if slices.Contains(resources, "*") {
			grants = append(grants, "every resource")
		}
		if slices.Contains(verbs, "*") {
			grants = append(grants, "every verb")
		}
		if len(grants) > 0 {
			out = append(out, at(RuleBroadRBAC, d, fmt.Sprintf("rules[%d]", i),
				fmt.Sprintf("grants %s: whoever runs with it can read private keys or do what nobody reviewed", strings.Join(grants, " and ")),
				"list exactly the resources and verbs needed (a restarter needs get on one ConfigMap and patch on workloads)"))
		}
	}
	return out
}

// checkCadence: MTLS090. An anchor that renews with a new key needs every
// workload restarted onto the new bundle before the identity issuer is
// re-signed under the new key: within the issuer's duration minus
// renewBefore. A restart job that runs less often cannot keep up.
func checkCadence(c *cluster) []Finding {
	var rotating []*certificate
	for _, a := range c.anchors() {
		if a.rotatesKey() {
			rotating = append(rotating, a)
		}
	}
	issuers := c.identityIssuers()
	if len(rotating) == 0 || len(issuers) == 0 {
		return nil
	}
	window := issuers[0].duration - issuers[0].renewBefore
	var out []Finding
	for _, d := range c.docs {
		if d.Group() != "batch" || d.Kind() != "CronJob" || !strings.Contains(d.Name(), "restart") {
			continue
		}
		schedule, zone := str(d.Obj, "spec", "schedule"), str(d.Obj, "spec", "timeZone")
		if _, set := get(d.Obj, "spec", "timeZone").(string); set && (zone == "" || zone == "Local") {
			continue // the API server refuses both: no cadence to judge
		}
		// The spec's own computation: it scans years, so yearly and leap-day
		// schedules show their gaps, and in the CronJob's time zone, so a
		// run skipped by a daylight saving change counts. A schedule or zone
		// that does not parse is the API server's to reject, not a cadence.
		gap, err := v1alpha1.ScheduleGapIn(schedule, zone)
		every := gap.String() + " at most"
		if zone != "" {
			every += " (in time zone " + zone + ")"
		}
		switch {
		case get(d.Obj, "spec", "suspend") == true:
			out = append(out, at(RuleCadence, d, "spec.suspend",
				fmt.Sprintf("the restart job is suspended, but anchor %s renews with a new key and the identity issuer is re-signed under it within %s: workloads are never restarted onto the new bundle and then reject the new certificates",
					rotating[0].doc.Ref(), window),
				fmt.Sprintf("resume it (suspend: false) and keep it running at least every %s, or set rotationPolicy: Never on the anchor and rotate explicitly", window)))
		case errors.Is(err, v1alpha1.ErrScheduleNeverRuns):
			out = append(out, at(RuleCadence, d, "spec.schedule",
				fmt.Sprintf("schedule %q never runs (no date matches it), but anchor %s renews with a new key and the identity issuer is re-signed under it within %s: workloads are never restarted onto the new bundle and then reject the new certificates",
					schedule, rotating[0].doc.Ref(), window),
				fmt.Sprintf("use a schedule that runs at least every %s, or set rotationPolicy: Never on the anchor and rotate explicitly", window)))
		case err == nil && gap > window:
			out = append(out, at(RuleCadence, d, "spec.schedule",
				fmt.Sprintf("restarts every %s, but anchor %s renews with a new key and the identity issuer is re-signed under it within %s: workloads still holding the old bundle then reject the new certificates",
					every, rotating[0].doc.Ref(), window),
				fmt.Sprintf("run at least every %s, or set rotationPolicy: Never on the anchor and rotate explicitly", window)))
		}
	}
	return out
}
