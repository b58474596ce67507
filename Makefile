# Development tasks. CI runs .ci/run, which runs the same test command as
# `make test`.
export GOTOOLCHAIN := local
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/mtlsgen/mtlsgen/internal/version.stamped=$(VERSION)

.PHONY: test vet golden fuzz render build helm-fixture

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

# bin/mtlsgen and bin/mtlsgen-helm (Helm's chart engine, which mtlsgen runs
# for render --hydrate and charts pull; it must stay next to mtlsgen).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/...

# Re-record what the real helm CLI prints for the fixture chart, which
# internal/helmengine's tests compare mtlsgen's rendering with.
helm-fixture:
	hack/helm-template-fixture.sh
