# Everyday tasks; CI runs .ci/run, which runs `go test ./...` like `make test`.
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: build test race golden fmt vet integration bench

build:
	go build -ldflags "-X main.version=$(VERSION)" -o nianbao ./cmd/nianbao

test:
	go test ./...

race:
	go test -race ./...

golden:
	go test ./parser ./cmd/nianbao -update

fmt:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

vet:
	go vet ./...

integration:
	go test -tags integration ./...

bench:
	go test ./parser -run '^$$' -bench Parse_ -cpu 1
