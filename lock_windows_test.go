//go:build windows

package wrench_test

import (
	"fmt"
	"os"
	"path/filepath"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// lockVictim makes a file outside the wrench directory that a lock file
// might be made another name for.
func (s *windowsSuite) lockVictim(c *gc.C) string {
	path := filepath.Join(s.dataDir, "victim")
	c.Assert(os.WriteFile(path, []byte("not yours\n"), 0o644), gc.IsNil)
	return path
}

// checkLockVictim checks the victim kept its content and attributes.
func checkLockVictim(c *gc.C, path string, mode os.FileMode) {
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "not yours\n")
	c.Check(lstatMode(c, path), gc.Equals, mode)
}

func lstatMode(c *gc.C, path string) os.FileMode {
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	return fi.Mode()
}

func (s *windowsSuite) TestAHardLinkedLockIsRefused(c *gc.C) {
	victim := s.lockVictim(c)
	mode := lstatMode(c, victim)
	lock := filepath.Join(s.dir, wrench.LockName)
	if err := os.Link(victim, lock); err != nil {
		c.Skip("cannot make a hard link here: " + err.Error())
	}
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches,
		`refusing lock file .*\\wrench\\\.lock: it has 2 hard links, not 1; remove it \(the next writer creates a fresh one\)`)
	checkLockVictim(c, victim, mode)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)

	c.Assert(os.Remove(lock), gc.IsNil)
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	checkLockVictim(c, victim, mode)
}

func (s *windowsSuite) TestASymlinkedLockIsRefusedAndNotFollowed(c *gc.C) {
	victim := s.lockVictim(c)
	mode := lstatMode(c, victim)
	lock := filepath.Join(s.dir, wrench.LockName)
	if err := os.Symlink(victim, lock); err != nil {
		c.Skip("cannot make a symbolic link here (it needs a privilege or developer mode): " + err.Error())
	}
	if fi, err := os.Lstat(lock); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		// Wine makes a unix symlink that its own Lstat then cannot see.
		c.Skip(fmt.Sprintf("the symbolic link made here does not read back as a reparse point (wine): %v", err))
	}
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches,
		`refusing lock file .*\\wrench\\\.lock: it is a reparse point \(a symbolic link or junction\), not a regular file; remove it .*`)
	checkLockVictim(c, victim, mode)
}

func (s *windowsSuite) TestALockThatIsADirectoryIsRefused(c *gc.C) {
	lock := filepath.Join(s.dir, wrench.LockName)
	c.Assert(os.Mkdir(lock, 0o755), gc.IsNil)
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches,
		`refusing lock file .*\\wrench\\\.lock: it is a directory, not a regular file; remove it .*`)
	c.Check(lstatMode(c, lock).IsDir(), gc.Equals, true)
}
