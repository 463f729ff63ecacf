package wrench_test

import (
	"os"
	"time"
)

// osChtimes sets both times of path, to touch it.
func osChtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }
