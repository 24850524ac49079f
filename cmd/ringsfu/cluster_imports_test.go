package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRedisInOnePackage checks ARCHITECTURE.md's cluster rule: go-redis is
// imported (by non-test files) from room/cluster only, and nothing in
// room, sfu or media depends on room/cluster (the in-memory default must
// not pull Redis in).
func TestRedisInOnePackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}:{{join .Deps \" \"}}", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/ringsfu/ringsfu/"
	const goredis = "github.com/redis/go-redis/v9"
	importers := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		pkg, imports, deps := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		rel := strings.TrimPrefix(pkg, mod)
		for _, imp := range imports {
			if imp == goredis || strings.HasPrefix(imp, goredis+"/") {
				importers++
				if rel != "room/cluster" {
					t.Errorf("%s imports %s: only room/cluster may", pkg, imp)
				}
			}
		}
		top, _, _ := strings.Cut(rel, "/")
		if rel == "room" || top == "sfu" || top == "media" {
			for _, d := range deps {
				if d == mod+"room/cluster" || d == goredis {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
	if importers != 1 {
		t.Errorf("go-redis imported by %d packages, want exactly room/cluster", importers)
	}
}
