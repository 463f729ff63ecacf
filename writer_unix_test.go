//go:build unix

package wrench_test

import (
	"os"
	"path/filepath"
	"syscall"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// withUmask runs f with the process's umask set to mask.
func withUmask(mask int, f func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	f()
}

func mode(c *gc.C, path string) os.FileMode {
	return lstat(c, path).Mode()
}

func (s *writerSuite) TestModesDoNotDependOnTheUmask(c *gc.C) {
	c.Assert(os.Remove(s.dir), gc.IsNil)
	withUmask(0o077, func() {
		c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
		c.Assert(wrench.Apply("other", []byte("b\n")), gc.IsNil)
	})
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o755)
	c.Check(mode(c, filepath.Join(s.dir, "agent")), gc.Equals, os.FileMode(0o644))
	c.Check(mode(c, filepath.Join(s.dir, "other")), gc.Equals, os.FileMode(0o644))

	// A file that was 0600 is 0644 once rewritten.
	c.Assert(os.Chmod(filepath.Join(s.dir, "agent"), 0o600), gc.IsNil)
	withUmask(0o077, func() {
		c.Assert(wrench.Set("agent", "b", ""), gc.IsNil)
	})
	c.Check(mode(c, filepath.Join(s.dir, "agent")), gc.Equals, os.FileMode(0o644))
}

func (s *writerSuite) TestUmaskZeroGivesNoMoreThan0755(c *gc.C) {
	c.Assert(os.Remove(s.dir), gc.IsNil)
	withUmask(0, func() {
		c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
	})
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o755)
	c.Check(mode(c, filepath.Join(s.dir, "agent")), gc.Equals, os.FileMode(0o644))
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
}

func (s *writerSuite) TestAnExistingDirectoryKeepsItsMode(c *gc.C) {
	c.Assert(os.Chmod(s.dir, 0o700), gc.IsNil)
	c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o700)
}

// untrustedFileEdits checks that set, unset and release all refuse to edit
// the file at path, matching err, and leave it as it was.
func (s *writerSuite) untrustedFileEdits(c *gc.C, path, content, err string) {
	fi := lstat(c, path)
	c.Check(wrench.Set("agent", "b", "on"), gc.ErrorMatches, err)
	c.Check(wrench.Set("agent", "a", "off"), gc.ErrorMatches, err)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, err)
	c.Check(wrench.Unset("agent", "absent"), gc.ErrorMatches, err)
	c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, err)
	unchanged(c, path, fi, content)
}

func (s *writerSuite) TestAFileWritableByOthersIsNotEdited(c *gc.C) {
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	s.untrustedFileEdits(c, path, "a pause\n",
		`.*/agent is writable by its group \(mode 0666\), so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)
	c.Assert(wrench.Clear("agent"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName})
}

func (s *writerSuite) TestAFileOwnedByAnotherUserIsNotEdited(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)
	s.untrustedFileEdits(c, path, "a pause\n",
		`.*/agent is owned by uid 12345, not by uid 0 or root, so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)
	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName})
}

func (s *writerSuite) TestApplyReplacesAnUntrustedFile(c *gc.C) {
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	c.Assert(wrench.Apply("agent", []byte("b\n")), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "b\n")
	c.Check(mode(c, path), gc.Equals, os.FileMode(0o644))
	c.Check(wrench.IsActive("agent", "b"), gc.Equals, true)
}

func (s *writerSuite) TestAFIFOIsNotEditedAndNeverOpened(c *gc.C) {
	path := filepath.Join(s.dir, "agent")
	c.Assert(syscall.Mkfifo(path, 0o644), gc.IsNil)
	// Opening the FIFO to read it would block this test for ever.
	s.untrustedFileEdits2(c, path, `.*/agent is a named pipe \(FIFO\), not a regular file, so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)
	c.Assert(wrench.Clear("agent"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName})
}

func (s *writerSuite) TestASymlinkIsNotFollowed(c *gc.C) {
	target := filepath.Join(s.dataDir, "target")
	c.Assert(os.WriteFile(target, []byte("a pause\n"), 0o644), gc.IsNil)
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.Symlink(target, path), gc.IsNil)
	s.untrustedFileEdits2(c, path, `.*/agent is a symbolic link, not a regular file, so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)

	// Clear removes the link, not what it points at.
	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName})
	data, err := os.ReadFile(target)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "a pause\n")
}

// untrustedFileEdits2 is untrustedFileEdits for something that is not a
// regular file, whose content is not to be read.
func (s *writerSuite) untrustedFileEdits2(c *gc.C, path, err string) {
	fi := lstat(c, path)
	c.Check(wrench.Set("agent", "b", "on"), gc.ErrorMatches, err)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, err)
	c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, err)
	now := lstat(c, path)
	c.Check(os.SameFile(fi, now), gc.Equals, true)
	c.Check(now.Mode(), gc.Equals, fi.Mode())
}

func (s *writerSuite) TestAnUntrustedDirectoryIsNotWritten(c *gc.C) {
	path := s.writeFile(c, "agent", "a pause\n")
	fi := lstat(c, path)
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	err := `refusing to write .*/wrench/agent: the wrench directory .*/wrench is writable by its group \(mode 0777\), so IsActive running as uid \d+ would ignore it`
	c.Check(wrench.Set("agent", "b", "on"), gc.ErrorMatches, err)
	c.Check(wrench.Apply("agent", []byte("b\n")), gc.ErrorMatches, err)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, err)
	c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, err)
	unchanged(c, path, fi, "a pause\n")
	c.Check(s.entries(c), gc.DeepEquals, []string{"agent"})
}

func (s *writerSuite) TestASymlinkedDirectoryIsNotFollowed(c *gc.C) {
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(real, "agent"), []byte("a\n"), 0o644), gc.IsNil)
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)

	err := `.*/wrench is a symbolic link, not a directory`
	c.Check(wrench.Set("agent", "b", "on"), gc.ErrorMatches, `refusing to write .*/wrench/agent: `+err)
	c.Check(wrench.Apply("agent", []byte("b\n")), gc.ErrorMatches, `refusing to write .*/wrench/agent: `+err)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, `refusing to write .*/wrench/agent: `+err)
	c.Check(wrench.Clear(), gc.ErrorMatches, `cannot clear: `+err)
	c.Check(dirEntries(c, real), gc.DeepEquals, []string{"agent"})
}

// TestRootArmsAnAgentsOwnDirectory: an agent running as its own user may
// keep its data directory, and so its wrench directory, owned by that user.
// Only that user's processes (and no root process) trust the directory, so
// the writer judges it, and the files in it, as that user's IsActive does.
func (s *writerSuite) TestRootArmsAnAgentsOwnDirectory(c *gc.C) {
	needRoot(c)
	c.Assert(os.Lchown(s.dir, otherUID, otherUID), gc.IsNil)
	path := s.writeFile(c, "agent", "a pause # the agent's own\n")
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)

	c.Assert(wrench.Set("agent", "b", "on"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a pause # the agent's own\nb on\n")
	c.Assert(wrench.Release("agent", "a", 1), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a 1*off->pause # the agent's own\nb on\n")
	r, err := wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true, gc.Commentf("%+v", r))

	// A third user's file in the agent's directory is still refused.
	c.Assert(os.Lchown(path, 4242, 4242), gc.IsNil)
	s.untrustedFileEdits(c, path, "a 1*off->pause # the agent's own\nb on\n",
		`.*/agent is owned by uid 4242, not by uid 12345 or root, so IsActive running as uid 12345 would not trust it: refusing to edit it \(wrench clear removes it\)`)
}

func (s *writerSuite) TestMakingTheDirectoryNeverChmodsOneSwappedIn(c *gc.C) {
	needRoot(c)
	// Between making the wrench directory and setting its mode, whoever
	// owns the data directory swaps in another user's directory, closed
	// to others and holding a file. Its mode must stay as it was.
	c.Assert(os.Remove(s.dir), gc.IsNil)
	victim := filepath.Join(s.dataDir, "victim")
	c.Assert(os.Mkdir(victim, 0o700), gc.IsNil)
	c.Assert(os.Chmod(victim, 0o700), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(victim, "secret"), nil, 0o600), gc.IsNil)
	c.Assert(os.Chown(victim, otherUID, otherUID), gc.IsNil)
	restore := wrench.SetWriteFault(func(step string) error {
		if step == "made-dir" {
			c.Assert(os.Rename(s.dir, s.dir+".made"), gc.IsNil)
			c.Assert(os.Rename(victim, s.dir), gc.IsNil)
		}
		return nil
	})
	defer restore()
	withUmask(0o077, func() {
		wrench.Set("agent", "a", "") // what it then writes is the trust rules' business
	})
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o700)
	c.Check(int(lstat(c, s.dir).Sys().(*syscall.Stat_t).Uid), gc.Equals, otherUID)

	// And a directory root made is still given its mode, whatever the
	// umask: root's own, empty directory.
	restore()
	c.Assert(os.Rename(s.dir, victim), gc.IsNil)
	c.Assert(os.Remove(s.dir+".made"), gc.IsNil)
	withUmask(0o077, func() {
		c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
	})
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o755)
}
