package nowrenchtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-wrench/wrench"
	"github.com/go-wrench/wrench/internal/testdir"
)

// armProbe points wrench at a new data directory whose trusted file arms
// the point Probe asks about, until the test ends.
func armProbe(t *testing.T) {
	dataDir, err := testdir.Make("wrench-nowrench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(testdir.RemoveAll)
	dir := filepath.Join(dataDir, "wrench")
	path := filepath.Join(dir, "agent")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("refuse-upgrade\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever the umask: a group-writable file would be refused anyway.
	os.Chmod(dir, 0o755)
	os.Chmod(path, 0o644)
	old := wrench.SetDataDir(dataDir)
	t.Cleanup(func() { wrench.SetDataDir(old) })
}
