//go:build unix

package wrench_test

import (
	"os"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

func (s *freshSuite) TestChownBetweenCalls(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(os.Chown(path, 0, 0), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}
