//go:build windows

package wrench_test

import (
	"os"
	"path/filepath"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

func (s *windowsSuite) TestTrustedDirectoryReplacedBySymlink(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	s.writeFile(c, "agent", "refuse-upgrade\nheld pause\n")
	c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	answer := make(chan bool, 1)
	go func() { answer <- wrench.IsActive("agent", "held") }()
	s.waitFirings(c, "agent:held: pause fired", 1)
	// The trusted directory, with the same file in it, is now reached only
	// through a link: the running agent refuses it as a fresh one would,
	// and the paused call wakes to that answer.
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	err := os.Symlink(real, s.dir)
	if _, lerr := os.Lstat(s.dir); err != nil || lerr != nil {
		wrench.SetEnabled(false) // wake the paused call before skipping
		<-answer
		c.Skip("cannot make a symbolic link here (it takes Developer Mode or elevation on Windows; wine 8 makes none)")
	}
	c.Check(receive(c, answer, "the paused call"), gc.Equals, false)
	for i := 0; i < 100; i++ {
		c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	}
	c.Check(s.errorsLogged("refusing wrench directory "+s.dir, "is a reparse point"), gc.HasLen, 1)
	// Put back, the real directory is honoured again.
	c.Assert(os.Remove(s.dir), gc.IsNil)
	c.Assert(os.Rename(real, s.dir), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
}
