//go:build !nowrench

package nowrenchtest

import (
	"os/exec"
	"strings"
	"testing"
)

// goCommand runs the go command of the toolchain running this test, which
// go test puts first on PATH.
func goCommand(t *testing.T, args ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no Go toolchain to build with the nowrench tag (as under wine): %v", err)
	}
	cmd := exec.Command(goBin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestNoWrenchBuild runs this package's tests built with the nowrench tag,
// so plain `go test ./...` proves the tag works.
func TestNoWrenchBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package again with -tags nowrench")
	}
	out := goCommand(t, "test", "-count=1", "-tags", "nowrench", "-v", "-run", "TestNoWrenchIgnoresFiles", ".")
	if !strings.Contains(out, "--- PASS: TestNoWrenchIgnoresFiles") {
		t.Fatalf("the nowrench test did not run and pass:\n%s", out)
	}
}

// TestNoWrenchInlines checks the compiler's own report that IsActive is
// inlined at a call site in a nowrench build.
func TestNoWrenchInlines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package again with -tags nowrench")
	}
	out := goCommand(t, "build", "-tags", "nowrench", "-gcflags=-m", ".")
	if !strings.Contains(out, "inlining call to wrench.IsActive") {
		t.Fatalf("IsActive is not inlined in a nowrench build:\n%s", out)
	}
}

// TestWithoutTheTagFilesCount is the positive control: the same probe,
// built without the tag, honours the file.
func TestWithoutTheTagFilesCount(t *testing.T) {
	armProbe(t)
	if !Probe() {
		t.Fatal("without the nowrench tag the file should count")
	}
}
