// Package testdir makes the temporary directories of the project's tests.
//
// t.TempDir and gocheck's c.MkDir fail their test when os.RemoveAll fails
// at clean-up, and under wine 8 it always does ("Invalid function"). These
// directories are removed when the test binary ends instead, as far as the
// platform allows.
package testdir

import (
	"os"
	"sync"
)

var (
	mu   sync.Mutex
	dirs []string
)

// Make makes a new directory with mode 0755 whatever the umask, so that
// processes of other users in a test can reach what is in it.
func Make(prefix string) (string, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	mu.Lock()
	dirs = append(dirs, dir)
	mu.Unlock()
	return dir, nil
}

// RemoveAll removes every directory Make made, ignoring failures. A
// TestMain calls it after m.Run.
func RemoveAll() {
	mu.Lock()
	defer mu.Unlock()
	for _, d := range dirs {
		os.RemoveAll(d)
	}
	dirs = nil
}
