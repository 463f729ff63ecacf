package wrench_test

import (
	"os"
	"path/filepath"
	"time"

	"github.com/juju/loggo/v2"
	"golang.org/x/sys/unix"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

func (s *trustSuite) TestPausedCallsWakeWhenTheDirectoryIsReplacedBySymlink(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	s.writeFile(c, "agent", "x pause\n")
	answers := make(chan bool, 2)
	for i := 0; i < 2; i++ {
		go func() { answers <- wrench.IsActive("agent", "x") }()
	}
	s.waitFirings(c, "agent:x: pause fired", 2)
	nothingReturned(c, answers)
	// Swap the directory and a link to it in one step, so the paused
	// calls never see the path empty: the file stays reachable, unchanged,
	// through the link.
	moved := filepath.Join(s.dataDir, "moved")
	c.Assert(os.Symlink(moved, moved), gc.IsNil)
	c.Assert(unix.Renameat2(unix.AT_FDCWD, moved, unix.AT_FDCWD, s.dir, unix.RENAME_EXCHANGE), gc.IsNil)
	// Woken and evaluated afresh: the link is refused, so false.
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "is a symbolic link, not a directory"), gc.HasLen, 1)
}
