//go:build unix

package wrench_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
	"golang.org/x/sys/unix"
)

// otherUID owns files in tests that need an owner who is neither the
// process's user nor root. No account need exist for it.
const otherUID = 12345

type trustSuite struct{ baseSuite }

var _ = gc.Suite(&trustSuite{})

func needRoot(c *gc.C) {
	if os.Geteuid() != 0 {
		c.Skip("needs root to chown files to another uid; run the tests as root to prove the ownership rules")
	}
}

// refused checks that feature x of category agent is not honoured and
// that exactly one ERROR naming path and reason was logged across many
// calls, then that the positive control repair makes it honoured again.
func (s *trustSuite) refused(c *gc.C, path, reason string, repair func()) {
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	// Once refused, the same state is answered without being opened again.
	reloads := wrench.Reloads()
	for i := 1; i < 1000; i++ {
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	}
	c.Check(wrench.Reloads(), gc.Equals, reloads)
	c.Check(s.logged(loggo.ERROR, path), gc.HasLen, 1)
	c.Check(s.logged(loggo.ERROR, reason), gc.HasLen, 1)
	if repair != nil {
		repair()
		c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	}
}

func (s *trustSuite) TestTrustedFileAndDirectory(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
}

func (s *trustSuite) TestFileOwnedByAnotherUser(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	s.refused(c, path, "owned by uid 12345", func() {
		c.Assert(os.Chown(path, 0, 0), gc.IsNil)
	})
}

func (s *trustSuite) TestFileOwnedByTheEffectiveUser(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	c.Assert(os.Chown(s.dir, otherUID, 0), gc.IsNil)
	wrench.SetEUID(otherUID)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	// Root's files stay trusted whoever the process runs as.
	c.Assert(os.Chown(path, 0, 0), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	// A third user's are not.
	c.Assert(os.Chown(path, otherUID+1, 0), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "owned by uid 12346, not by uid 12345 or root"), gc.HasLen, 1)
}

func (s *trustSuite) TestFileWritableByGroupOrOthers(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chmod(path, 0o664), gc.IsNil)
	s.refused(c, path, "writable by its group (mode 0664)", func() {
		c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	})
	c.Assert(os.Chmod(path, 0o646), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "writable by others (mode 0646)"), gc.HasLen, 1)
	// Read-only and owner-only modes are fine.
	c.Assert(os.Chmod(path, 0o400), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *trustSuite) TestFileSizeLimit(c *gc.C) {
	line := "x\n"
	exact := line + strings.Repeat("#", wrench.MaxFileSize-len(line)-1) + "\n"
	c.Assert(len(exact), gc.Equals, wrench.MaxFileSize)
	path := s.writeFile(c, "agent", exact)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.writeFile(c, "agent", exact+"#")
	s.refused(c, path, "65537 bytes, over the 65536 byte limit", func() {
		s.writeFile(c, "agent", exact)
	})
}

func (s *trustSuite) TestSymlinkAtCategoryPath(c *gc.C) {
	// Even a link to a trusted file in the wrench directory is refused.
	target := s.writeFile(c, "real", "x\n")
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.Symlink(target, path), gc.IsNil)
	s.refused(c, path, "is a symbolic link", func() {
		c.Assert(os.Remove(path), gc.IsNil)
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestDirectoryAtCategoryPath(c *gc.C) {
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.Mkdir(path, 0o755), gc.IsNil)
	s.refused(c, path, "is a directory", func() {
		c.Assert(os.Remove(path), gc.IsNil)
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestFIFOAtCategoryPathDoesNotBlock(c *gc.C) {
	path := filepath.Join(s.dir, "agent")
	c.Assert(unix.Mkfifo(path, 0o644), gc.IsNil)
	done := make(chan bool)
	go func() { done <- wrench.IsActive("agent", "x") }()
	select {
	case active := <-done:
		c.Check(active, gc.Equals, false)
	case <-time.After(10 * time.Second):
		c.Fatalf("IsActive blocked on a FIFO")
	}
	s.refused(c, path, "is a named pipe (FIFO)", func() {
		c.Assert(os.Remove(path), gc.IsNil)
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestDeviceAtCategoryPath(c *gc.C) {
	needRoot(c)
	path := filepath.Join(s.dir, "agent")
	// The same device numbers as /dev/null (1, 3).
	c.Assert(unix.Mknod(path, unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))), gc.IsNil)
	s.refused(c, path, "is a device", func() {
		c.Assert(os.Remove(path), gc.IsNil)
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestDirectoryOwnedByAnotherUser(c *gc.C) {
	needRoot(c)
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chown(s.dir, otherUID, 0), gc.IsNil)
	s.refused(c, s.dir, "is owned by uid 12345", func() {
		c.Assert(os.Chown(s.dir, 0, 0), gc.IsNil)
	})
}

func (s *trustSuite) TestDirectoryWritableByGroupOrOthers(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chmod(s.dir, 0o775), gc.IsNil)
	s.refused(c, s.dir, "writable by its group (mode 0775)", func() {
		c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	})
	c.Assert(os.Chmod(s.dir, 0o757|os.ModeSticky), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "writable by others (mode 1757)"), gc.HasLen, 1)
}

func (s *trustSuite) TestDirectoryRefusedBeforeFirstRead(c *gc.C) {
	// The directory is checked when the file is first read too, not only
	// on later calls.
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	s.writeFile(c, "agent", "x\n")
	s.refused(c, s.dir, "writable by its group (mode 0777)", func() {
		c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	})
}

func (s *trustSuite) TestDirectorySymlink(c *gc.C) {
	// The wrench directory replaced by a link to a trusted directory.
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(real, "agent"), []byte("x\n"), 0o644), gc.IsNil)
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)
	s.refused(c, s.dir, "is a symbolic link, not a directory", func() {
		c.Assert(os.Remove(s.dir), gc.IsNil)
		c.Assert(os.Rename(real, s.dir), gc.IsNil)
	})
}

func (s *trustSuite) TestWrenchDirectoryIsAFile(c *gc.C) {
	c.Assert(os.Remove(s.dir), gc.IsNil)
	c.Assert(os.WriteFile(s.dir, []byte("x\n"), 0o644), gc.IsNil)
	path := filepath.Join(s.dir, "agent")
	s.refused(c, path, "is not a directory", func() {
		c.Assert(os.Remove(s.dir), gc.IsNil)
		c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestNoDirectoryNoFile(c *gc.C) {
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(os.Remove(s.dir), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	c.Check(s.logged(loggo.TRACE, "no file "+filepath.Join(s.dir, "agent")), gc.HasLen, 2)
}

func (s *trustSuite) TestPausedCallsGoWhenTheDirectoryIsNoLongerTrusted(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	s.writeFile(c, "agent", "x pause\n")
	answers := make(chan bool, 2)
	for i := 0; i < 2; i++ {
		go func() { answers <- wrench.IsActive("agent", "x") }()
	}
	s.waitFirings(c, "agent:x: pause fired", 2)
	nothingReturned(c, answers)
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
}
