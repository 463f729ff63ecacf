package sys

import (
	"go/build/constraint"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSuffixMeansOneSet holds this package and package store to the
// naming of package os: a _unix file is built for every unix system, a
// _linux file for Linux and a _windows file for Windows, exactly; a file
// for any other set is named for what it does, and its build line says
// where. So a reader who sees a suffix knows the set without reading the
// build line.
func TestSuffixMeansOneSet(t *testing.T) {
	for _, dir := range []string{".", "../store"} {
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".go"), "_test")
			var suffix string
			for _, s := range []string{"unix", "linux", "windows"} {
				if strings.HasSuffix(base, "_"+s) {
					suffix = s
				}
			}
			if suffix == "" {
				continue
			}
			line := buildLine(t, name)
			// A _linux or _windows file needs no build line: the suffix
			// is one. A _unix one needs "unix", which is no suffix Go
			// knows.
			if line != suffix && (line != "" || suffix == "unix") {
				t.Errorf("%s is built for %q, but its suffix says %s: name it for what it does", name, line, suffix)
			}
		}
	}
}

// buildLine is the expression of the file's //go:build line, or "".
func buildLine(t *testing.T, name string) string {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "package ") {
			break
		}
		if constraint.IsGoBuild(line) {
			expr, err := constraint.Parse(line)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return expr.String()
		}
	}
	return ""
}
