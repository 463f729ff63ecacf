//go:build unix

package wrench_test

import (
	"os"

	gc "gopkg.in/check.v1"
)

func (s *countSuite) TestRefusalSeenStartsFresh(c *gc.C) {
	path := s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// A chmod that keeps the file trusted is a new state of it: the line
	// is unchanged.
	c.Assert(os.Chmod(path, 0o640), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	// A file the process refused, and then trusts again, starts fresh.
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// So does one whose directory the process refused meanwhile.
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
}
