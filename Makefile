# The two commands of the README.
.PHONY: run test

# SQLite's full-text module (FTS5, the catalogue's search index) is compiled
# into mattn/go-sqlite3 only with this build tag: every go command needs it.
export GOFLAGS := -tags=sqlite_fts5

# Run the branch appliance on the embedded default: SQLite in ./data, demo library, http://127.0.0.1:8080
run:
	go run ./cmd/branchd

# The whole test suite, as CI runs it (replicate and branch again under the race detector, with fewer random cases).
# replicate/tailnet is left out of the race pass: it would build all of tsnet a second time (~4 minutes on 2 cores).
# First, go.mod must be tidy: `go mod tidy -diff` prints what tidy would change and fails (run `go mod tidy`).
# The desk and the kiosk must build without cgo and for Windows (staff PCs): they link no storage.
test:
	go mod tidy -diff
	go vet ./...
	CGO_ENABLED=0 go build ./cmd/stacks ./cmd/kiosk
	GOOS=windows go build ./cmd/stacks ./cmd/kiosk
	go test -timeout 25m ./...
	go test -race -short $$(go list ./replicate/... ./branch/... | grep -v /replicate/tailnet)
