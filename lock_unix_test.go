//go:build unix

package wrench_test

import (
	"os"
	"os/exec"
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
	// Whatever the umask, a lock root creates is the owner's and 0600.
	for _, umask := range []int{0, 0o777} {
		old := syscall.Umask(umask)
		err := wrench.Set("agent", "x", "")
		syscall.Umask(old)
		c.Assert(err, gc.IsNil)
		lock := filepath.Join(s.dir, wrench.LockNameFor(otherUID))
		info, err := os.Lstat(lock)
		c.Assert(err, gc.IsNil)
		c.Check(info.Mode(), gc.Equals, os.FileMode(0o600), gc.Commentf("umask %04o", umask))
		c.Check(info.Sys().(*syscall.Stat_t).Uid, gc.Equals, uint32(otherUID), gc.Commentf("umask %04o", umask))
		c.Assert(os.Remove(lock), gc.IsNil)
	}
}

// victim makes a file owned by uid 12346 with mode 0640 outside the wrench
// directory: one the directory's owner (12345) can reach but must never
// have handed to it by root's writer.
func (s *lockSuite) victim(c *gc.C) string {
	path := filepath.Join(s.dataDir, "victim")
	c.Assert(os.WriteFile(path, []byte("not yours\n"), 0o640), gc.IsNil)
	c.Assert(os.Chmod(path, 0o640), gc.IsNil)
	c.Assert(os.Chown(path, otherUID+1, otherUID+1), gc.IsNil)
	return path
}

// checkVictim checks the victim file kept its owner, mode and content.
func checkVictim(c *gc.C, path string) {
	info, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	c.Check(info.Mode(), gc.Equals, os.FileMode(0o640))
	c.Check(info.Sys().(*syscall.Stat_t).Uid, gc.Equals, uint32(otherUID+1))
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "not yours\n")
}

// everyWriteRefuses checks that each writer, run as root, fails on the
// lock with an error matching want, and writes nothing.
func (s *lockSuite) everyWriteRefuses(c *gc.C, want string) {
	s.writeFile(c, "agent", "a pause\n")
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches, want)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, want)
	c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, want)
	c.Check(wrench.Apply("agent", []byte("y\n")), gc.ErrorMatches, want)
	c.Check(wrench.Clear(), gc.ErrorMatches, want)
	data, err := os.ReadFile(filepath.Join(s.dir, "agent"))
	c.Check(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "a pause\n")
}

func (s *lockSuite) TestAHardLinkedLockIsRefusedAndLeftAlone(c *gc.C) {
	needRoot(c)
	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	victim := s.victim(c)
	lock := filepath.Join(s.dir, wrench.LockNameFor(otherUID))
	c.Assert(os.Link(victim, lock), gc.IsNil)
	c.Check(wrench.Set("agent", "x", ""), gc.NotNil)
	checkVictim(c, victim)
	s.everyWriteRefuses(c, `refusing lock file .*/wrench/\.lock-12345: it has 2 hard links, not 1; remove it \(the next writer creates a fresh one\)`)
	checkVictim(c, victim)

	// Once the link is gone the next writer makes its own lock.
	c.Assert(os.Remove(lock), gc.IsNil)
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	checkVictim(c, victim)
}

func (s *lockSuite) TestASymlinkedLockIsRefusedAndNotFollowed(c *gc.C) {
	needRoot(c)
	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	victim := s.victim(c)
	lock := filepath.Join(s.dir, wrench.LockNameFor(otherUID))
	want := `refusing lock file .*/wrench/\.lock-12345: it is a symbolic link, not a regular file; remove it \(the next writer creates a fresh one\)`
	c.Assert(os.Symlink(victim, lock), gc.IsNil)
	s.everyWriteRefuses(c, want)
	checkVictim(c, victim)

	// Nor is a dangling one followed to create its target.
	target := filepath.Join(s.dataDir, "created-through-the-link")
	c.Assert(os.Remove(lock), gc.IsNil)
	c.Assert(os.Symlink(target, lock), gc.IsNil)
	s.everyWriteRefuses(c, want)
	_, err := os.Lstat(target)
	c.Check(os.IsNotExist(err), gc.Equals, true, gc.Commentf("%s: %v", target, err))
}

func (s *lockSuite) TestALockRootDidNotCreateIsNeverChownedOrChmodded(c *gc.C) {
	needRoot(c)
	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	lock := filepath.Join(s.dir, wrench.LockNameFor(otherUID))
	for _, t := range []struct {
		uid  int
		mode os.FileMode
		want string
	}{
		// Readable by others: any user could hold it and stall writers.
		{otherUID, 0o644, `it is open to users other than its owner \(mode 0644, not 0600\)`},
		{otherUID, 0o660, `it is open to users other than its owner \(mode 0660, not 0600\)`},
		{otherUID + 1, 0o600, `it is owned by uid 12346, not by the wrench directory's owner \(uid 12345\)`},
		{0, 0o600, `it is owned by uid 0, not by the wrench directory's owner \(uid 12345\)`},
	} {
		c.Logf("lock owned by %d, mode %04o", t.uid, t.mode)
		c.Assert(os.WriteFile(lock, nil, t.mode), gc.IsNil)
		c.Assert(os.Chmod(lock, t.mode), gc.IsNil)
		c.Assert(os.Chown(lock, t.uid, t.uid), gc.IsNil)
		c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches, `refusing lock file .*/wrench/\.lock-12345: `+t.want+`; remove it \(the next writer creates a fresh one\)`)
		info := lstat(c, lock)
		c.Check(info.Mode(), gc.Equals, t.mode)
		c.Check(info.Sys().(*syscall.Stat_t).Uid, gc.Equals, uint32(t.uid))
		c.Assert(os.Remove(lock), gc.IsNil)
	}
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	_, err := os.Lstat(filepath.Join(s.dir, "agent"))
	c.Check(os.IsNotExist(err), gc.Equals, true)
}

func (s *lockSuite) TestALockThatIsNotAFileIsRefused(c *gc.C) {
	lock := filepath.Join(s.dir, wrench.LockName)
	c.Assert(syscall.Mkfifo(lock, 0o600), gc.IsNil)
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches, `refusing lock file .*/wrench/\.lock-\d+: it is a named pipe \(FIFO\), not a regular file; remove it .*`)
	c.Assert(os.Remove(lock), gc.IsNil)
	c.Assert(os.Mkdir(lock, 0o700), gc.IsNil)
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches, `refusing lock file .*/wrench/\.lock-\d+: it is a directory, not a regular file; remove it .*`)
	c.Check(kindOfPath(c, lock), gc.Equals, os.ModeDir)
}

func kindOfPath(c *gc.C, path string) os.FileMode {
	return lstat(c, path).Mode().Type()
}

func (s *lockSuite) TestALockRootLeftDoesNotLockOutTheNextOwner(c *gc.C) {
	needRoot(c)
	// The test binary, where the other user can run it.
	bin := filepath.Join(tempDir(c), "wrench.test")
	copyFile(c, os.Args[0], bin, 0o755)

	// Root arms a rule while it owns the directory, leaving its lock...
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	// ...then the directory is handed to the agent's user.
	for _, path := range []string{s.dir, filepath.Join(s.dir, "agent")} {
		c.Assert(os.Chown(path, otherUID, otherUID), gc.IsNil)
	}
	out, err := s.setAs(c, bin, otherUID, "agent", "y")
	c.Assert(err, gc.IsNil, gc.Commentf("%s", out))
	// Root and the owner now share the owner's lock.
	c.Assert(wrench.Set("agent", "z", ""), gc.IsNil)
	out, err = s.setAs(c, bin, otherUID, "agent", "w")
	c.Assert(err, gc.IsNil, gc.Commentf("%s", out))
	data, err := os.ReadFile(filepath.Join(s.dir, "agent"))
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "x\ny\nz\nw\n")
}

// setAs runs the test binary bin as uid to Set category's feature in the
// suite's data directory, and returns what it printed.
func (s *lockSuite) setAs(c *gc.C, bin string, uid int, category, feature string) (string, error) {
	cmd := childProcess("set", s.dataDir)
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.Env = append(cmd.Env, "WRENCH_TEST_SET="+category+" "+feature)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func init() {
	// The child side of setAs runs before any test.
	if os.Getenv("WRENCH_TEST_CHILD") != "set" {
		return
	}
	wrench.SetDataDir(os.Getenv("WRENCH_TEST_DATADIR"))
	args := strings.Fields(os.Getenv("WRENCH_TEST_SET"))
	if err := wrench.Set(args[0], args[1], ""); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(0)
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
	c.Check(err, gc.ErrorMatches, `cannot lock .*/wrench/\.lock-\d+: another writer has held it for over 50ms`)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, false)

	// Released, the next writer goes ahead.
	c.Assert(unix.Flock(fd, unix.LOCK_UN), gc.IsNil)
	c.Assert(wrench.Set("agent", "y", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

// childProcessAs runs a command as uid and returns its combined output.
func childProcessAs(c *gc.C, uid int, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
