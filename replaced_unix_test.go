//go:build unix

package wrench_test

import (
	"os"
	"path/filepath"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// These tests replace the wrench directory under a running agent: what the
// path names now is what counts, whatever was trusted before.

// moveAway renames the wrench directory, with its files, out of the way
// and returns where it went.
func (s *trustSuite) moveAway(c *gc.C) string {
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	return real
}

func (s *trustSuite) TestTrustedDirectoryReplacedBySymlink(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	// The directory, still trusted and holding the same file, is now
	// reached only through a link: the agent must refuse it as a fresh
	// agent would.
	real := s.moveAway(c)
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)
	s.refused(c, s.dir, "is a symbolic link, not a directory", func() {
		c.Assert(os.Remove(s.dir), gc.IsNil)
		c.Assert(os.Rename(real, s.dir), gc.IsNil)
	})
}

func (s *trustSuite) TestTrustedDirectoryRenamedAway(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	real := s.moveAway(c)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	c.Assert(os.Rename(real, s.dir), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *trustSuite) TestTrustedDirectoryReplacedByAnother(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.moveAway(c)
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	s.writeFile(c, "agent", "y\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
	// And the new directory is judged on its own.
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "writable by its group (mode 0777)"), gc.HasLen, 1)
}

func (s *trustSuite) TestTrustedDirectoryReplacedByAFile(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.moveAway(c)
	c.Assert(os.WriteFile(s.dir, []byte("x\n"), 0o644), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
}
