# Development tasks. CI runs .ci/run, which runs the same test command as
# `make test`.
export GOTOOLCHAIN := local
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/mtlsgen/mtlsgen/internal/version.stamped=$(VERSION)

.PHONY: test vet golden fuzz render build image helm-fixture e2e

test:
	$(GO) test ./...

vet:
	$(GO) vet ./...

golden:
	$(GO) test ./... -update

fuzz:
	$(GO) test -run XXX -fuzz=FuzzLoad -fuzztime=2m ./internal/load

render:
	$(GO) run ./cmd/mtlsgen render examples/prod.yaml

# bin/mtlsgen, bin/mtlsgen-helm (Helm's chart engine, which mtlsgen runs for
# render --hydrate and charts pull) and bin/mtlsgen-kube (krm, restarter and
# status, which mtlsgen hands over to it); both must stay next to mtlsgen.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

.PHONY: bench
# Whole-process benchmarks; writes bench/RESULTS.md (not run by CI).
bench:
	bench/run.sh

# The container image (Dockerfile): CMP sidecar, KRM function, restarter.
# The binaries (mtlsgen, and mtlsgen-kube for krm and the restarter) are
# compiled here and staged with what the image holds into
# IMAGE_CONTEXT, the build context. Built with buildah where it is installed
# (no daemon needed: vfs storage, chroot isolation), else with docker.
IMAGE ?= mtlsgen
IMAGE_TAG ?= $(VERSION)
IMAGE_CONTEXT ?= dist/image
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
BUILDAH ?= buildah --storage-driver vfs
IMAGE_BUILDER ?= $(if $(shell command -v buildah 2>/dev/null),buildah,docker)

image:
	@test -r $(CA_BUNDLE) || { echo "make image: no CA bundle at $(CA_BUNDLE) (apt-get install ca-certificates, or set CA_BUNDLE)" >&2; exit 1; }
	rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(IMAGE_CONTEXT)/ ./cmd/mtlsgen ./cmd/mtlsgen-kube
	cp $(CA_BUNDLE) $(IMAGE_CONTEXT)/ca-certificates.crt
	cp image/passwd image/group plugin/cmp/plugin.yaml $(IMAGE_CONTEXT)/
ifeq ($(IMAGE_BUILDER),buildah)
	$(BUILDAH) bud --isolation chroot --build-arg VERSION=$(VERSION) -t $(IMAGE):$(IMAGE_TAG) -t $(IMAGE):latest -f Dockerfile $(IMAGE_CONTEXT)
else
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE):$(IMAGE_TAG) -t $(IMAGE):latest -f Dockerfile $(IMAGE_CONTEXT)
endif

# Re-record what the real helm CLI prints for the fixture chart, which
# internal/helmengine's tests compare mtlsgen's rendering with.
helm-fixture:
	hack/helm-template-fixture.sh

# End-to-end: a real kube-apiserver and trust-manager (test/e2e/run.sh).
e2e:
	bash test/e2e/run.sh
