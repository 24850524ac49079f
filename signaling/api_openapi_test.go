package signaling

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIDocumentsEveryRoute checks openapi.json against the route
// table both ways: every route is documented with its method, and every
// documented operation is routed.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	routed := map[string]bool{"GET /v1/api/openapi.json": true}
	for _, rt := range apiRoutes() {
		routed[rt.method+" "+rt.path] = true
		ops := doc.Paths[rt.path]
		op, ok := ops[strings.ToLower(rt.method)]
		if !ok {
			t.Errorf("%s %s is not in openapi.json", rt.method, rt.path)
			continue
		}
		var o struct {
			OperationID string                      `json:"operationId"`
			Responses   map[string]json.RawMessage  `json:"responses"`
			Parameters  []struct{ Name, In string } `json:"parameters"`
		}
		if err := json.Unmarshal(op, &o); err != nil {
			t.Fatal(err)
		}
		if o.OperationID == "" || o.Responses["200"] == nil || o.Responses["401"] == nil || o.Responses["403"] == nil {
			t.Errorf("%s %s: operationId, 200, 401 and 403 are required: %s", rt.method, rt.path, op)
		}
		// Every {param} of the path is a documented path parameter.
		for _, seg := range strings.Split(rt.path, "/") {
			if strings.HasPrefix(seg, "{") {
				name, found := strings.Trim(seg, "{}"), false
				for _, p := range o.Parameters {
					found = found || (p.Name == name && p.In == "path")
				}
				if !found {
					t.Errorf("%s %s: path parameter %s undocumented", rt.method, rt.path, name)
				}
			}
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if k := strings.ToUpper(method) + " " + path; !routed[k] {
				t.Errorf("openapi.json documents %s, which is not routed", k)
			}
		}
	}
}
