//go:build unix

package wrench_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

type lockSuite struct{ baseSuite }

var _ = gc.Suite(&lockSuite{})

func (s *lockSuite) TestLockFileBelongsToTheDirectorysOwner(c *gc.C) {
	needRoot(c)
	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	lock := filepath.Join(s.dir, wrench.LockName)
	info, err := os.Lstat(lock)
	c.Assert(err, gc.IsNil)
	c.Check(info.Mode(), gc.Equals, os.FileMode(0o600))
	c.Check(info.Sys().(*syscall.Stat_t).Uid, gc.Equals, uint32(otherUID))
	// A lock file left 0644 by an older writer is narrowed.
	c.Assert(os.Chmod(lock, 0o644), gc.IsNil)
	c.Assert(wrench.Set("agent", "y", ""), gc.IsNil)
	c.Check(mode(c, lock), gc.Equals, os.FileMode(0o600))
}

func (s *lockSuite) TestAnotherUserCannotHoldTheLock(c *gc.C) {
	needRoot(c)
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	// What a third user's process would try first: open the lock file.
	out, err := childProcessAs(c, otherUID, "cat", filepath.Join(s.dir, wrench.LockName))
	c.Check(err, gc.NotNil)
	c.Check(out, gc.Matches, "(?s).*Permission denied.*")
}

func (s *lockSuite) TestAWriterGivesUpOnAStuckLock(c *gc.C) {
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	fd, err := unix.Open(filepath.Join(s.dir, wrench.LockName), unix.O_RDONLY, 0)
	c.Assert(err, gc.IsNil)
	defer unix.Close(fd)
	c.Assert(unix.Flock(fd, unix.LOCK_EX), gc.IsNil)
	s.addRestore(wrench.SetLockWait(50 * time.Millisecond))

	err = wrench.Set("agent", "y", "")
	c.Assert(err, gc.NotNil)
	c.Check(err, gc.ErrorMatches, `cannot lock .*/wrench/\.lock: another writer has held it for over 50ms`)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, false)

	// Released, the next writer goes ahead.
	c.Assert(unix.Flock(fd, unix.LOCK_UN), gc.IsNil)
	c.Assert(wrench.Set("agent", "y", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

// childProcessAs runs a command as uid and returns its combined output.
func childProcessAs(c *gc.C, uid int, name string, args ...string) (string, error) {
	cmd := execCommand(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
