//go:build unix

package wrench_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	gc "gopkg.in/check.v1"
)

// euidSuite runs IsActive in a real process of another user, to prove the
// owner rule follows the effective user and not just root.
type euidSuite struct{ baseSuite }

var _ = gc.Suite(&euidSuite{})

func (s *euidSuite) TestAnotherUsersProcess(c *gc.C) {
	needRoot(c)
	// The test binary, where the other user can run it.
	bin := filepath.Join(tempDir(c), "wrench.test")
	copyFile(c, os.Args[0], bin, 0o755)

	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	for name, owner := range map[string]int{"mine": otherUID, "roots": 0, "theirs": otherUID + 1} {
		path := s.writeFile(c, name, "x\n")
		c.Assert(os.Chown(path, owner, owner), gc.IsNil)
	}
	// One category file holds all three answers' features; the agent
	// category is made per owner by renaming before each run.
	for _, t := range []struct {
		file, want, logged string
	}{
		{"mine", "x=true", ""},
		{"roots", "x=true", ""},
		{"theirs", "x=false", "is owned by uid 12346, not by uid 12345 or root"},
	} {
		c.Assert(os.Rename(filepath.Join(s.dir, t.file), filepath.Join(s.dir, "agent")), gc.IsNil)
		answer, log := s.askAs(c, bin, otherUID, "x")
		c.Check(answer, gc.Equals, t.want, gc.Commentf("file owned as %q", t.file))
		c.Check(strings.Contains(log, t.logged), gc.Equals, true, gc.Commentf("log: %s", log))
		c.Assert(os.Remove(filepath.Join(s.dir, "agent")), gc.IsNil)
	}
	// And a directory owned by a third user is refused by that process.
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chown(path, otherUID, otherUID), gc.IsNil)
	c.Assert(os.Chown(s.dir, otherUID+1, otherUID+1), gc.IsNil)
	answer, log := s.askAs(c, bin, otherUID, "x")
	c.Check(answer, gc.Equals, "x=false")
	c.Check(log, gc.Matches, "(?s).*refusing wrench directory .*: is owned by uid 12346, not by uid 12345 or root.*")
}

// askAs runs the test binary bin as uid, asking IsActive for features of
// category agent; it returns the answers and what the process logged.
func (s *euidSuite) askAs(c *gc.C, bin string, uid int, features string) (answer, log string) {
	cmd := childProcess("ask", s.dataDir)
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.Env = append(cmd.Env, "WRENCH_TEST_FEATURES="+features)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	c.Assert(err, gc.IsNil, gc.Commentf("%s", stderr.String()))
	return strings.TrimSpace(string(out)), stderr.String()
}

func copyFile(c *gc.C, from, to string, mode os.FileMode) {
	in, err := os.Open(from)
	c.Assert(err, gc.IsNil)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	c.Assert(err, gc.IsNil)
	_, err = io.Copy(out, in)
	c.Assert(err, gc.IsNil)
	c.Assert(out.Close(), gc.IsNil)
	c.Assert(os.Chmod(to, mode), gc.IsNil)
}
