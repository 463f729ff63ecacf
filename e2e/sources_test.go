//go:build linux

package e2e_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	gc "gopkg.in/check.v1"
)

// readModuleSources reads every Go file and module file of the repository.
//
// The test builds the wrench command and the agent from them, in a child
// process, but go test caches a test's result by its binary and by the
// files the test process itself reads. The e2e binary does not change when
// the command or the library does, so without this a change to either
// would replay a cached "ok" instead of running the test again.
func readModuleSources(c *gc.C) {
	root, err := filepath.Abs("..")
	c.Assert(err, gc.IsNil)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	c.Assert(err, gc.IsNil, gc.Commentf("the e2e package must sit just below the module root"))
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			_, err := os.ReadFile(path)
			return err
		}
		return nil
	})
	c.Assert(err, gc.IsNil)
}
