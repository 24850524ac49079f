package main

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// serveFlagNames lists every flag of `ringsfu serve`, read from the flag
// set's own help output (so that a new flag is seen without a second list).
func serveFlagNames(t *testing.T) []string {
	t.Helper()
	var help bytes.Buffer
	_, err := parseServeFlags([]string{"-h"}, func(string) string { return "" }, &help)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve -h: %v, want flag.ErrHelp", err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(help.String(), -1) {
		names = append(names, m[1])
	}
	if len(names) < 30 {
		t.Fatalf("only %d flags read from the help output:\n%s", len(names), help.String())
	}
	return names
}

// TestREADMEListsEveryServeFlag keeps the README's flag tables from
// drifting: every serve flag must be named there as `--flag`.
func TestREADMEListsEveryServeFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, name := range serveFlagNames(t) {
		if !strings.Contains(string(readme), "--"+name) {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("README.md does not mention these serve flags: %s", strings.Join(missing, ", "))
	}
}

// TestHelpExitsZero checks that asking for help is not an error: `ringsfu
// -h`, `ringsfu serve -h`, `ringsfu token -h` and `ringsfu help`.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"serve", "-h"}, {"token", "-h"}, {"load", "-h"}, {"help"}} {
		var out, errOut bytes.Buffer
		if err := run(args, &out, &errOut); err != nil {
			t.Errorf("ringsfu %s: %v", strings.Join(args, " "), err)
		}
		if out.Len()+errOut.Len() == 0 {
			t.Errorf("ringsfu %s printed nothing", strings.Join(args, " "))
		}
	}
}

// TestNoReferenceToMissingTestingGuide: the testing guide is the README's
// Testing section; no file may send readers to a separate guide file that
// the repository does not have.
func TestNoReferenceToMissingTestingGuide(t *testing.T) {
	name := "TESTING" + ".md"
	if _, err := os.Stat("../../" + name); err == nil {
		return // the file exists: references to it are fine
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n## Testing\n") {
		t.Fatal("README.md has no Testing section")
	}
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "artifacts":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".js", ".md", ".html", ".css", ".json":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), name) {
			t.Errorf("%s refers to %s, which does not exist (the guide is README.md § Testing)", path, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
