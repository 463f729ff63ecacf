//go:build !nowrench

package nowrenchtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/go-wrench/wrench"
)

// goCommand runs the go command of the toolchain running this test.
func goCommand(t *testing.T, args ...string) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		t.Skipf("no Go toolchain at %s to build with the nowrench tag (as under wine)", goBin)
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
	dataDir := tempDir(t)
	dir := filepath.Join(dataDir, "wrench")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "agent"), []byte("refuse-upgrade\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "agent"), 0o644)
	defer wrench.SetDataDir(wrench.SetDataDir(dataDir))
	if !Probe() {
		t.Fatal("without the nowrench tag the file should count")
	}
}

// tempDir is t.TempDir whose clean-up tolerates a failing os.RemoveAll,
// which is what wine 8 gives.
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "wrench-nowrench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
