package wrench_test

import (
	"os"
	"path/filepath"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// freshSuite proves every call sees the disk as it is at that call, and
// that an unchanged file is served without reading it again.
type freshSuite struct{ baseSuite }

var _ = gc.Suite(&freshSuite{})

func (s *freshSuite) TestRenameOver(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.writeFile(c, "agent", "y\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

func (s *freshSuite) TestRemoval(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Remove(path), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *freshSuite) TestRewriteInPlaceWithSameSize(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	// Same inode, same size: the times tell. Set them apart explicitly,
	// as a file system with coarse timestamps might not.
	c.Assert(os.WriteFile(path, []byte("y\n"), 0o644), gc.IsNil)
	later := time.Now().Add(time.Second)
	c.Assert(os.Chtimes(path, later, later), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

func (s *freshSuite) TestChmodBetweenCalls(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *freshSuite) TestRenameDirectoryAway(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Rename(s.dir, s.dir+".old"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	// A new directory in its place is read afresh.
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	s.writeFile(c, "agent", "y\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

func (s *freshSuite) TestUnchangedFileIsNotReread(c *gc.C) {
	s.writeFile(c, "agent", "x\ny 1*on\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	before := wrench.Reloads()
	for i := 0; i < 1000; i++ {
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
		c.Assert(wrench.IsActive("agent", "z"), gc.Equals, false)
	}
	c.Check(wrench.Reloads(), gc.Equals, before)
	// A change is read once, and then served again.
	s.writeFile(c, "agent", "z\n")
	for i := 0; i < 100; i++ {
		c.Assert(wrench.IsActive("agent", "z"), gc.Equals, true)
	}
	c.Check(wrench.Reloads(), gc.Equals, before+1)
}

func (s *freshSuite) TestCategoriesAreSeparate(c *gc.C) {
	s.writeFile(c, "one", "x\n")
	s.writeFile(c, "two", "y\n")
	c.Check(wrench.IsActive("one", "x"), gc.Equals, true)
	c.Check(wrench.IsActive("two", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("two", "y"), gc.Equals, true)
	c.Assert(os.Remove(filepath.Join(s.dir, "one")), gc.IsNil)
	c.Check(wrench.IsActive("one", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("two", "y"), gc.Equals, true)
}
