package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection checks ARCHITECTURE.md's dependency direction:
// cmd → signaling → room → sfu → media, and cmd → webclient; nothing imports
// cmd, and webclient and media import no project package.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Deps \" \"}}", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/ringsfu/ringsfu/"
	// forbidden[pkg] lists project packages pkg must not depend on, even
	// indirectly.
	forbidden := map[string][]string{
		"media":     {"sfu", "room", "signaling", "cmd", "webclient"},
		"sfu":       {"room", "signaling", "cmd", "webclient"},
		"room":      {"signaling", "cmd", "webclient"},
		"signaling": {"cmd", "webclient"},
		"webclient": {"media", "sfu", "room", "signaling", "cmd"},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		rel := strings.TrimPrefix(pkg, mod)
		top, _, _ := strings.Cut(rel, "/")
		if rel == "signaling/client" {
			top = "signaling/client"
		}
		for _, d := range strings.Fields(deps) {
			if !strings.HasPrefix(d, mod) {
				continue
			}
			if rel == "signaling" && d == mod+"signaling/client" {
				t.Errorf("the server package imports its client package")
			}
			dtop, _, _ := strings.Cut(strings.TrimPrefix(d, mod), "/")
			if dtop == "cmd" && top != "cmd" {
				t.Errorf("%s imports %s: nothing may import cmd", pkg, d)
			}
			for _, bad := range forbidden[top] {
				if dtop == bad {
					t.Errorf("%s depends on %s: breaks %s → … direction", pkg, d, top)
				}
			}
		}
		checked++
	}
	if checked < 6 {
		t.Fatalf("only %d packages listed", checked)
	}
}
