//go:build nowrench

package nowrenchtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-wrench/wrench"
)

// TestNoWrenchIgnoresFiles is built only with the nowrench tag.
func TestNoWrenchIgnoresFiles(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "wrench-nowrench-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dataDir)
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
	if !wrench.IsEnabled() {
		t.Fatal("wrench should still report enabled: only the build tag turns it off")
	}
	if Probe() || wrench.IsActive("agent", "refuse-upgrade") {
		t.Fatal("a nowrench build honoured a wrench file")
	}
}
