#!/usr/bin/env bash
# The end-to-end suite (make e2e): mtlsgen's output on a real kube-apiserver
# with the real trust-manager and cert-manager, synced and diffed by Argo
# CD's own gitops-engine. The first run builds kube-apiserver and
# trust-manager from test/e2e/tools (a few minutes) and caches them under
# ${XDG_CACHE_HOME:-~/.cache}/mtlsgen-e2e; later runs reuse them.
# test/e2e/gitopsengine is built with Go 1.27.3, which the go command fetches
# from the module proxy (the version is also in harness/gitopsengine.go).
# Arguments go to go test (e.g. -run TestRotation).
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
start=$(date +%s)

if ! command -v etcd >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "--- e2e: installing etcd (Debian's etcd-server)"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
	else
		echo "e2e: etcd is missing: install Debian's etcd-server package (or set MTLSGEN_E2E_ETCD)" >&2
		exit 1
	fi
fi

# Every process the suite starts is recorded here; whatever a crashed or
# timed-out test binary leaves behind is killed on exit (only processes
# whose command line names the suite's own files).
pidfile=$(mktemp)
export MTLSGEN_E2E_PIDFILE=$pidfile
cleanup() {
	while read -r pid; do
		if grep -qs mtlsgen-e2e "/proc/$pid/cmdline"; then
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
	done <"$pidfile"
	rm -f "$pidfile"
}
trap cleanup EXIT

go vet -tags e2e ./test/e2e/...
# gitopsengine is a module of its own that needs Go 1.27 (Argo CD's gitops-engine).
(cd test/e2e/gitopsengine && GOTOOLCHAIN=go1.27.3 go vet ./...)
go test -tags e2e -count=1 -timeout 15m -v ./test/e2e/ "$@"
echo "--- e2e took $(($(date +%s) - start))s in all (build, vet and tests)"
