#!/usr/bin/env bash
# Writes internal/helmengine/testdata/helm-template/mtlsgen-fixture.yaml with
# the real helm CLI, at the Helm version go.mod requires:
# TestRender_equalsHelmTemplate compares mtlsgen's rendering of the fixture
# chart with it byte for byte. The flags are those Argo CD passes for a Helm
# source, with mtlsgen's API versions (internal/charts.APIVersions).
#
#   hack/helm-template-fixture.sh            # builds helm (needs the Go module proxy)
#   HELM=/path/to/helm hack/helm-template-fixture.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
if [ -z "${HELM:-}" ]; then
	bin=$(mktemp -d)
	GOBIN=$bin go install "helm.sh/helm/v3/cmd/helm@$(go list -m -f '{{.Version}}' helm.sh/helm/v3)"
	HELM=$bin/helm
fi
t=internal/helmengine/testdata
"$HELM" template mtlsgen-fixture "$t/charts/mtlsgen-fixture" \
	--namespace widgets --kube-version 1.33.0 --include-crds \
	--api-versions acme.cert-manager.io/v1 --api-versions cert-manager.io/v1 --api-versions trust.cert-manager.io/v1alpha1 \
	-f "$t/values/mtlsgen-fixture.yaml" > "$t/helm-template/mtlsgen-fixture.yaml"
echo "wrote $t/helm-template/mtlsgen-fixture.yaml with $("$HELM" version --short)"
