package wrench_test

import (
	"os"
	"os/exec"
	"time"
)

// osChtimes sets both times of path, to touch it.
func osChtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }

// execCommand is exec.Command, named so platform test files share it.
var execCommand = exec.Command
