package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"stacks/node/httpapi"
)

// TestOpenAPIDescribesEveryRoute: GET /api/v1/openapi.json is valid JSON
// with openapi 3.1.0; every registered route is described, every described
// operation is a registered route that the mux itself routes to, and each
// has a summary, its path parameters and responses.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/openapi.json", nil, asAnon)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", r.status, r.header)
	}
	if !json.Valid(r.body) {
		t.Fatal("not valid JSON")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Title, Version string
		}
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Summary     string
			Parameters  []struct {
				Name, In string
				Required bool
			}
			Responses map[string]any
			Security  *[]map[string][]string
		}
		Components struct {
			SecuritySchemes map[string]any
		}
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title == "" || doc.Info.Version == "" {
		t.Fatalf("openapi %q info %+v", doc.OpenAPI, doc.Info)
	}
	var described []string
	ids := map[string]bool{}
	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, ops := range doc.Paths {
		for m, op := range ops {
			pattern := strings.ToUpper(m) + " " + path
			described = append(described, pattern)
			// The mux itself routes the operation to this very pattern.
			concrete := param.ReplaceAllString(path, "x")
			if got := f.api.MuxPattern(strings.ToUpper(m), concrete); got != pattern {
				t.Errorf("%s: the mux routes %s %s to %q", pattern, strings.ToUpper(m), concrete, got)
			}
			if op.Summary == "" || op.OperationID == "" || len(op.Responses) == 0 || op.Security == nil {
				t.Errorf("%s: incomplete: %+v", pattern, op)
			}
			if ids[op.OperationID] {
				t.Errorf("%s: operationId %s is not unique", pattern, op.OperationID)
			}
			ids[op.OperationID] = true
			for _, want := range param.FindAllStringSubmatch(path, -1) {
				if !slices.ContainsFunc(op.Parameters, func(p struct {
					Name, In string
					Required bool
				}) bool {
					return p.Name == want[1] && p.In == "path" && p.Required
				}) {
					t.Errorf("%s: path parameter %s not described", pattern, want[1])
				}
			}
			for _, sec := range *op.Security {
				for name := range sec {
					if doc.Components.SecuritySchemes[name] == nil {
						t.Errorf("%s: unknown security scheme %s", pattern, name)
					}
				}
			}
		}
	}
	routes := f.api.Routes()
	sort.Strings(described)
	sort.Strings(routes)
	if !slices.Equal(described, routes) {
		for _, p := range routes {
			if !slices.Contains(described, p) {
				t.Errorf("registered but not described: %s", p)
			}
		}
		for _, p := range described {
			if !slices.Contains(routes, p) {
				t.Errorf("described but not registered: %s", p)
			}
		}
	}
	// The hand-written summaries name only registered routes.
	for _, p := range httpapi.RouteDocPatterns() {
		if !slices.Contains(routes, p) {
			t.Errorf("routeDocs names %s, which is not registered", p)
		}
	}
	for _, p := range routes {
		if httpapi.RouteSummary(p) == "" {
			t.Errorf("%s has no summary in routeDocs", p)
		}
	}
	for _, p := range []string{"/api/v1/patron/account", "/api/v1/patrons/{id}", "/api/v1/openapi.json"} {
		if doc.Paths[p] == nil {
			t.Errorf("%s not described", p)
		}
	}
}

// TestOpenAPISchemas: the patron API's bodies are described by their
// fields.
func TestOpenAPISchemas(t *testing.T) {
	f := newFixture(t)
	var doc map[string]any
	f.do("GET", "/api/v1/openapi.json", nil, asAnon).want(t, http.StatusOK, &doc)
	get := func(v any, keys ...string) any {
		for _, k := range keys {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no %s in %v", k, keys)
			}
			v = m[k]
		}
		return v
	}
	props := get(doc, "paths", "/api/v1/patron/account", "get", "responses", "200", "content", "application/json", "schema", "properties").(map[string]any)
	for _, k := range []string{"totalCharges", "totalChargesCount", "totalLoans", "totalHolds", "loans", "holds", "charges"} {
		if props[k] == nil {
			t.Errorf("account schema lacks %s", k)
		}
	}
	if get(props, "loans", "items", "properties", "due_date", "type") != "string" {
		t.Error("loans' due_date not described")
	}
	req := get(doc, "paths", "/api/v1/patron/holds", "post", "requestBody", "content", "application/json", "schema", "properties").(map[string]any)
	if req["biblio_id"] == nil || req["pickup_library_id"] == nil {
		t.Errorf("hold request schema: %v", req)
	}
}
