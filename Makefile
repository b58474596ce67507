# Development tasks. CI runs .ci/run, which runs the same test command as
# `make test`.
export GOTOOLCHAIN := local
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/mtlsgen/mtlsgen/internal/version.stamped=$(VERSION)

.PHONY: test vet golden fuzz render build e2e

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

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/mtlsgen ./cmd/mtlsgen

# End-to-end: a real kube-apiserver and trust-manager (test/e2e/run.sh).
e2e:
	bash test/e2e/run.sh
