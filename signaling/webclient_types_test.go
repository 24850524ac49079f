package signaling

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebClientUsesContractTypeStrings checks that the JS SDK names every
// message type exactly as the registry does (ARCHITECTURE.md: "webclient
// uses the same type strings").
func TestWebClientUsesContractTypeStrings(t *testing.T) {
	files, err := filepath.Glob("../webclient/static/sdk/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no SDK sources found: %v", err)
	}
	var src strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	all := src.String()
	var types []string
	for typ := range requestKinds() {
		types = append(types, typ)
	}
	for typ := range EventKinds() {
		types = append(types, typ)
	}
	types = append(types, TypeResult, TypeError, TypePong)
	for _, typ := range types {
		if !strings.Contains(all, "'"+typ+"'") && !strings.Contains(all, `"`+typ+`"`) {
			t.Errorf("the SDK never names message type %q", typ)
		}
	}
}
