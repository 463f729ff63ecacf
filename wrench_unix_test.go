//go:build unix

package wrench_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/juju/loggo/v2"
	"golang.org/x/sys/unix"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// otherUID owns files in tests that need an owner who is neither the
// process's user nor root. No account need exist for it.
const otherUID = 12345

type trustSuite struct{ baseSuite }

var (
	_ = gc.Suite(&trustSuite{baseSuite{exact: true}})
	_ = gc.Suite(&trustSuite{baseSuite{exact: false}})
)

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
	s.settle()
	s.refused(c, path, "owned by uid 12345", func() {
		c.Assert(os.Chown(path, 0, 0), gc.IsNil)
		s.settle()
	})
}

func (s *trustSuite) TestFileOwnedByTheEffectiveUser(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "x\n")
	// The process runs as otherUID from the start, so that no look, in
	// either mode, judges the files as root's process would.
	wrench.SetEUID(otherUID)
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	s.settle()
	c.Assert(os.Chown(s.dir, otherUID, 0), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	// Root's files stay trusted whoever the process runs as.
	c.Assert(os.Chown(path, 0, 0), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	// A third user's are not.
	c.Assert(os.Chown(path, otherUID+1, 0), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "owned by uid 12346, not by uid 12345 or root"), gc.HasLen, 1)
}

func (s *trustSuite) TestFileWritableByGroupOrOthers(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chmod(path, 0o664), gc.IsNil)
	s.settle()
	s.refused(c, path, "writable by its group (mode 0664)", func() {
		c.Assert(os.Chmod(path, 0o644), gc.IsNil)
		s.settle()
	})
	c.Assert(os.Chmod(path, 0o646), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "writable by others (mode 0646)"), gc.HasLen, 1)
	// Read-only and owner-only modes are fine.
	c.Assert(os.Chmod(path, 0o400), gc.IsNil)
	s.settle()
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
	s.settle()
	s.refused(c, path, "is a symbolic link", func() {
		c.Assert(os.Remove(path), gc.IsNil)
		s.settle()
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestDirectoryAtCategoryPath(c *gc.C) {
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.Mkdir(path, 0o755), gc.IsNil)
	s.settle()
	s.refused(c, path, "is a directory", func() {
		c.Assert(os.Remove(path), gc.IsNil)
		s.settle()
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestFIFOAtCategoryPathDoesNotBlock(c *gc.C) {
	path := filepath.Join(s.dir, "agent")
	c.Assert(unix.Mkfifo(path, 0o644), gc.IsNil)
	s.settle()
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
		s.settle()
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestDirectoryOwnedByAnotherUser(c *gc.C) {
	needRoot(c)
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chown(s.dir, otherUID, 0), gc.IsNil)
	s.settle()
	s.refused(c, s.dir, "is owned by uid 12345", func() {
		c.Assert(os.Chown(s.dir, 0, 0), gc.IsNil)
		s.settle()
	})
}

func (s *trustSuite) TestDirectoryWritableByGroupOrOthers(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chmod(s.dir, 0o775), gc.IsNil)
	s.settle()
	s.refused(c, s.dir, "writable by its group (mode 0775)", func() {
		c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
		s.settle()
	})
	c.Assert(os.Chmod(s.dir, 0o757|os.ModeSticky), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "writable by others (mode 1757)"), gc.HasLen, 1)
}

func (s *trustSuite) TestDirectoryRefusedBeforeFirstRead(c *gc.C) {
	// The directory is checked when the file is first read too, not only
	// on later calls.
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	s.settle()
	s.writeFile(c, "agent", "x\n")
	s.refused(c, s.dir, "writable by its group (mode 0777)", func() {
		c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
		s.settle()
	})
}

func (s *trustSuite) TestDirectorySymlink(c *gc.C) {
	// The wrench directory replaced by a link to a trusted directory.
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	s.settle()
	c.Assert(os.WriteFile(filepath.Join(real, "agent"), []byte("x\n"), 0o644), gc.IsNil)
	s.settle()
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)
	s.settle()
	s.refused(c, s.dir, "is a symbolic link, not a directory", func() {
		c.Assert(os.RemoveAll(s.dir), gc.IsNil)
		s.settle()
		c.Assert(os.Rename(real, s.dir), gc.IsNil)
		s.settle()
	})
}

func (s *trustSuite) TestWrenchDirectoryIsAFile(c *gc.C) {
	c.Assert(os.RemoveAll(s.dir), gc.IsNil)
	s.settle()
	c.Assert(os.WriteFile(s.dir, []byte("x\n"), 0o644), gc.IsNil)
	s.settle()
	path := filepath.Join(s.dir, "agent")
	s.refused(c, path, "cannot be opened: not a directory", func() {
		c.Assert(os.RemoveAll(s.dir), gc.IsNil)
		s.settle()
		c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
		s.settle()
		s.writeFile(c, "agent", "x\n")
	})
}

func (s *trustSuite) TestNoDirectoryNoFile(c *gc.C) {
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(os.RemoveAll(s.dir), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	noFile := s.logged(loggo.TRACE, "no file "+filepath.Join(s.dir, "agent"))
	if s.exact {
		c.Check(noFile, gc.HasLen, 2) // one per call
	} else {
		// Watched, calls log nothing: the look that found no file did.
		c.Check(len(noFile) > 0, gc.Equals, true)
	}
}

func (s *trustSuite) TestPausedCallsGoWhenTheDirectoryIsNoLongerTrusted(c *gc.C) {
	answers := s.pauseTwoCalls(c)
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	s.settle()
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
}

// euidSuite runs IsActive in a real process of another user, to prove the
// owner rule follows the effective user and not just root.
type euidSuite struct{ baseSuite }

var (
	_ = gc.Suite(&euidSuite{baseSuite{exact: true}})
	_ = gc.Suite(&euidSuite{baseSuite{exact: false}})
)

func (s *euidSuite) TestAnotherUsersProcess(c *gc.C) {
	needRoot(c)
	// The test binary, where the other user can run it.
	bin := filepath.Join(tempDir(c), "wrench.test")
	copyFile(c, os.Args[0], bin, 0o755)

	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	s.settle()
	for name, owner := range map[string]int{"mine": otherUID, "roots": 0, "theirs": otherUID + 1} {
		path := s.writeFile(c, name, "x\n")
		c.Assert(os.Chown(path, owner, owner), gc.IsNil)
		s.settle()
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
		s.settle()
		answer, log := s.askAs(c, bin, otherUID, "x")
		c.Check(answer, gc.Equals, t.want, gc.Commentf("file owned as %q", t.file))
		c.Check(strings.Contains(log, t.logged), gc.Equals, true, gc.Commentf("log: %s", log))
		c.Assert(os.Remove(filepath.Join(s.dir, "agent")), gc.IsNil)
		s.settle()
	}
	// And a directory owned by a third user is refused by that process.
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chown(path, otherUID, otherUID), gc.IsNil)
	s.settle()
	c.Assert(os.Chown(s.dir, otherUID+1, otherUID+1), gc.IsNil)
	s.settle()
	answer, log := s.askAs(c, bin, otherUID, "x")
	c.Check(answer, gc.Equals, "x=false")
	c.Check(log, gc.Matches, "(?s).*refusing wrench directory .*: is owned by uid 12346, not by uid 12345 or root.*")
}

// askAs runs the test binary bin as uid, asking IsActive for features of
// category agent; it returns the answers and what the process logged.
func (s *euidSuite) askAs(c *gc.C, bin string, uid int, features string) (answer, log string) {
	cmd := s.child("ask")
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

func (s *freshSuite) TestChownBetweenCalls(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(os.Chown(path, 0, 0), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *freshSuite) TestChmodBetweenCalls(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

// These tests replace the wrench directory under a running agent: what the
// path names now is what counts, whatever was trusted before.

// moveAway renames the wrench directory, with its files, out of the way
// and returns where it went.
func (s *trustSuite) moveAway(c *gc.C) string {
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	s.settle()
	return real
}

func (s *trustSuite) TestTrustedDirectoryReplacedBySymlink(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	// The directory, still trusted and holding the same file, is now
	// reached only through a link: the agent must refuse it as a fresh
	// agent would.
	real := s.moveAway(c)
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)
	s.settle()
	s.refused(c, s.dir, "is a symbolic link, not a directory", func() {
		c.Assert(os.RemoveAll(s.dir), gc.IsNil)
		s.settle()
		c.Assert(os.Rename(real, s.dir), gc.IsNil)
		s.settle()
	})
}

func (s *trustSuite) TestTrustedDirectoryRenamedAway(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	real := s.moveAway(c)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	c.Assert(os.Rename(real, s.dir), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *trustSuite) TestTrustedDirectoryReplacedByAnother(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.moveAway(c)
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	s.settle()
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	s.settle()
	s.writeFile(c, "agent", "y\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
	// And the new directory is judged on its own.
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "writable by its group (mode 0777)"), gc.HasLen, 1)
}

func (s *trustSuite) TestTrustedDirectoryReplacedByAFile(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.moveAway(c)
	c.Assert(os.WriteFile(s.dir, []byte("x\n"), 0o644), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
}

func init() {
	// The child side of repeatingAgent: for each line "N FEATURE" on
	// stdin, ask IsActive("agent", FEATURE) N times and print the last
	// answer, how many were true and wrench.Reloads() after them. Each
	// batch starts with Sync, as the parent's tests settle before asking.
	if os.Getenv("WRENCH_TEST_CHILD") != "repeat" {
		return
	}
	wrench.SetDataDir(os.Getenv("WRENCH_TEST_DATADIR"))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var n int
		var feature string
		if _, err := fmt.Sscan(in.Text(), &n, &feature); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		wrench.Sync()
		last, trues := false, 0
		for i := 0; i < n; i++ {
			if last = wrench.IsActive("agent", feature); last {
				trues++
			}
		}
		fmt.Printf("%s=%v trues=%d reloads=%d\n", feature, last, trues, wrench.Reloads())
	}
	os.Exit(0)
}

// repeatingAgent is a running agent process of another user.
type repeatingAgent struct {
	c      *gc.C
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *os.File // a file, not a pipe: read while the agent runs, without a race
	wait   func() error
}

// startAgentAs starts this test binary, copied where uid can run it, as
// an agent running as uid against the suite's data directory, in its
// freshness mode.
func (s *baseSuite) startAgentAs(c *gc.C, uid int) *repeatingAgent {
	return s.startChildAs(c, uid, "repeat")
}

// startChildAs is startAgentAs for the child of another role that reads
// the same lines and answers the same way.
func (s *baseSuite) startChildAs(c *gc.C, uid int, role string) *repeatingAgent {
	bin := filepath.Join(tempDir(c), "wrench.test")
	copyFile(c, os.Args[0], bin, 0o755)
	cmd := s.child(role)
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	stderr, err := os.CreateTemp(tempDir(c), "stderr")
	c.Assert(err, gc.IsNil)
	a := &repeatingAgent{c: c, stderr: stderr}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	c.Assert(err, gc.IsNil)
	stdout, err := cmd.StdoutPipe()
	c.Assert(err, gc.IsNil)
	c.Assert(cmd.Start(), gc.IsNil)
	a.in = stdin
	a.out = bufio.NewScanner(stdout)
	a.wait = cmd.Wait
	return a
}

// ask has the agent call IsActive n times and returns its report.
func (a *repeatingAgent) ask(n int, feature string) (answer string, trues int, reloads int64) {
	_, err := fmt.Fprintf(a.in, "%d %s\n", n, feature)
	a.c.Assert(err, gc.IsNil)
	a.c.Assert(a.out.Scan(), gc.Equals, true, gc.Commentf("agent's stderr: %s", a.log()))
	_, err = fmt.Sscanf(a.out.Text(), "%s trues=%d reloads=%d", &answer, &trues, &reloads)
	a.c.Assert(err, gc.IsNil, gc.Commentf("agent said %q", a.out.Text()))
	return answer, trues, reloads
}

// stop ends the agent and returns what it logged.
func (a *repeatingAgent) stop() string {
	a.in.Close()
	a.c.Assert(a.wait(), gc.IsNil, gc.Commentf("agent's stderr: %s", a.log()))
	return a.log()
}

// log is what the agent has logged so far.
func (a *repeatingAgent) log() string {
	data, err := os.ReadFile(a.stderr.Name())
	a.c.Assert(err, gc.IsNil)
	return string(data)
}

func (s *euidSuite) TestUnopenableFileIsRefusedOncePerState(c *gc.C) {
	needRoot(c)
	// Root's file, trusted by its owner, but the agent may not read it.
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chmod(path, 0o600), gc.IsNil)
	s.settle()
	agent := s.startAgentAs(c, otherUID)
	answer, _, reloads := agent.ask(1, "x")
	c.Check(answer, gc.Equals, "x=false")
	// Remembered for this file state: not opened again, not logged again.
	answer, trues, again := agent.ask(1000, "x")
	c.Check(answer, gc.Equals, "x=false")
	c.Check(trues, gc.Equals, 0)
	c.Check(again, gc.Equals, reloads)
	// A chmod is a new state, tried afresh: now it is honoured.
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	s.settle()
	answer, trues, _ = agent.ask(3, "x")
	c.Check(answer, gc.Equals, "x=true")
	c.Check(trues, gc.Equals, 3)
	log := agent.stop()
	c.Check(strings.Count(log, "ERROR"), gc.Equals, 1, gc.Commentf("log: %s", log))
	c.Check(log, gc.Matches, `(?s).* ERROR wrench \S+ refusing `+regexp.QuoteMeta(path)+`: cannot be opened: permission denied\n.*`)
}

func (s *countSuite) TestRefusalSeenStartsFresh(c *gc.C) {
	path := s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// A chmod that keeps the file trusted is a new state of it: the line
	// is unchanged.
	c.Assert(os.Chmod(path, 0o640), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	// A file the process refused, and then trusts again, starts fresh.
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// So does one whose directory the process refused meanwhile.
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
}

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
	c.Assert(os.RemoveAll(s.dir), gc.IsNil)
	s.settle()
	withUmask(0o077, func() {
		c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
		c.Assert(wrench.Apply("other", []byte("b\n")), gc.IsNil)
	})
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o755)
	c.Check(mode(c, filepath.Join(s.dir, "agent")), gc.Equals, os.FileMode(0o644))
	c.Check(mode(c, filepath.Join(s.dir, "other")), gc.Equals, os.FileMode(0o644))

	// A file that was 0600 is 0644 once rewritten.
	c.Assert(os.Chmod(filepath.Join(s.dir, "agent"), 0o600), gc.IsNil)
	s.settle()
	withUmask(0o077, func() {
		c.Assert(wrench.Set("agent", "b", ""), gc.IsNil)
	})
	c.Check(mode(c, filepath.Join(s.dir, "agent")), gc.Equals, os.FileMode(0o644))
}

func (s *writerSuite) TestUmaskZeroGivesNoMoreThan0755(c *gc.C) {
	c.Assert(os.RemoveAll(s.dir), gc.IsNil)
	s.settle()
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
	s.settle()
	s.untrustedFileEdits(c, path, "a pause\n",
		`.*/agent is writable by its group \(mode 0666\), so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)
	c.Assert(wrench.Clear("agent"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName})
}

func (s *writerSuite) TestAFileOwnedByAnotherUserIsNotEdited(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)
	s.settle()
	s.untrustedFileEdits(c, path, "a pause\n",
		`.*/agent is owned by uid 12345, not by uid 0 or root, so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)
	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName})
}

func (s *writerSuite) TestApplyReplacesAnUntrustedFile(c *gc.C) {
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	s.settle()
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
	s.settle()
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.Symlink(target, path), gc.IsNil)
	s.settle()
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
	s.settle()
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
	s.settle()
	c.Assert(os.WriteFile(filepath.Join(real, "agent"), []byte("a\n"), 0o644), gc.IsNil)
	s.settle()
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)
	s.settle()

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
	s.settle()
	path := s.writeFile(c, "agent", "a pause # the agent's own\n")
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)
	s.settle()

	c.Assert(wrench.Set("agent", "b", "on"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a pause # the agent's own\nb on\n")
	c.Assert(wrench.Release("agent", "a", 1), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a 1*off->pause # the agent's own\nb on\n")
	r, err := wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true, gc.Commentf("%+v", r))

	// A third user's file in the agent's directory is still refused.
	c.Assert(os.Lchown(path, 4242, 4242), gc.IsNil)
	s.settle()
	s.untrustedFileEdits(c, path, "a 1*off->pause # the agent's own\nb on\n",
		`.*/agent is owned by uid 4242, not by uid 12345 or root, so IsActive running as uid 12345 would not trust it: refusing to edit it \(wrench clear removes it\)`)
}

func (s *writerSuite) TestMakingTheDirectoryNeverChmodsOneSwappedIn(c *gc.C) {
	needRoot(c)
	// Between making the wrench directory and setting its mode, whoever
	// owns the data directory swaps in another user's directory, closed
	// to others and holding a file. Its mode must stay as it was.
	c.Assert(os.RemoveAll(s.dir), gc.IsNil)
	s.settle()
	victim := filepath.Join(s.dataDir, "victim")
	c.Assert(os.Mkdir(victim, 0o700), gc.IsNil)
	s.settle()
	c.Assert(os.Chmod(victim, 0o700), gc.IsNil)
	s.settle()
	c.Assert(os.WriteFile(filepath.Join(victim, "secret"), nil, 0o600), gc.IsNil)
	s.settle()
	c.Assert(os.Chown(victim, otherUID, otherUID), gc.IsNil)
	s.settle()
	restore := wrench.SetWriteFault(func(step string) error {
		if step == "made-dir" {
			c.Assert(os.Rename(s.dir, s.dir+".made"), gc.IsNil)
			s.settle()
			c.Assert(os.Rename(victim, s.dir), gc.IsNil)
			s.settle()
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
	s.settle()
	c.Assert(os.Remove(s.dir+".made"), gc.IsNil)
	s.settle()
	withUmask(0o077, func() {
		c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
	})
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o755)
}

type lockSuite struct{ baseSuite }

var (
	_ = gc.Suite(&lockSuite{baseSuite{exact: true}})
	_ = gc.Suite(&lockSuite{baseSuite{exact: false}})
)

func (s *lockSuite) TestLockFileBelongsToTheDirectorysOwner(c *gc.C) {
	needRoot(c)
	c.Assert(os.Chown(s.dir, otherUID, otherUID), gc.IsNil)
	s.settle()
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
		s.settle()
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
	s.settle()
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
		s.settle()
		c.Assert(os.Chmod(lock, t.mode), gc.IsNil)
		s.settle()
		c.Assert(os.Chown(lock, t.uid, t.uid), gc.IsNil)
		s.settle()
		c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches, `refusing lock file .*/wrench/\.lock-12345: `+t.want+`; remove it \(the next writer creates a fresh one\)`)
		info := lstat(c, lock)
		c.Check(info.Mode(), gc.Equals, t.mode)
		c.Check(info.Sys().(*syscall.Stat_t).Uid, gc.Equals, uint32(t.uid))
		c.Assert(os.Remove(lock), gc.IsNil)
		s.settle()
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
	cmd := s.child("set")
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

// checkSuite tests Check and CheckUser against files in every state the
// trust rules distinguish.
type checkSuite struct {
	baseSuite
}

var (
	_ = gc.Suite(&checkSuite{baseSuite{exact: true}})
	_ = gc.Suite(&checkSuite{baseSuite{exact: false}})
)

func (s *checkSuite) TestAllWell(c *gc.C) {
	s.writeFile(c, "agent", "# rules\n\nrefuse-upgrade\nfail-lease 030%on # flaky\n")
	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(r.UID, gc.Equals, os.Geteuid())
	c.Check(r.Directory, gc.Equals, wrench.DirectoryReport{Path: s.dir, Exists: true})
	c.Check(r.Files, gc.DeepEquals, []wrench.FileReport{{
		Category: "agent",
		Path:     filepath.Join(s.dir, "agent"),
		Exists:   true,
		Lines: []wrench.LineReport{
			{Line: 3, Text: "refuse-upgrade", Feature: "refuse-upgrade", Trigger: "on", Honoured: true},
			{Line: 4, Text: "fail-lease 030%on # flaky", Feature: "fail-lease", Trigger: "30%on", Honoured: true},
		},
	}})
	c.Check(r.OK(), gc.Equals, true)
	c.Check(r.Problems(), gc.Equals, 0)
}

func (s *checkSuite) TestNothingThere(c *gc.C) {
	r, err := wrench.Check("agent")
	c.Assert(err, gc.IsNil)
	c.Check(r.Files, gc.DeepEquals, []wrench.FileReport{{Category: "agent", Path: filepath.Join(s.dir, "agent")}})
	c.Check(r.OK(), gc.Equals, true)

	c.Assert(os.RemoveAll(s.dir), gc.IsNil)
	r, err = wrench.Check("agent", "agent")
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory, gc.Equals, wrench.DirectoryReport{Path: s.dir})
	c.Check(r.Files, gc.DeepEquals, []wrench.FileReport{{Category: "agent", Path: filepath.Join(s.dir, "agent")}})
	c.Check(r.OK(), gc.Equals, true)
}

func (s *checkSuite) TestSyntaxProblemsAreReportedByLine(c *gc.C) {
	s.writeFile(c, "agent", "a\nb on#x\n# fine\na off\n")
	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Assert(r.Files, gc.HasLen, 1)
	c.Check(r.Files[0].Problem, gc.Equals, "")
	lines := r.Files[0].Lines
	c.Assert(lines, gc.HasLen, 3)
	c.Check(lines[0], gc.Equals, wrench.LineReport{Line: 1, Text: "a", Feature: "a", Trigger: "on", Honoured: true})
	c.Check(lines[1].Line, gc.Equals, 2)
	c.Check(lines[1].Text, gc.Equals, "b on#x")
	c.Check(lines[1].Feature, gc.Equals, "")
	c.Check(lines[1].Problem, gc.Matches, `bad trigger "on#x": .*unknown action.*`)
	c.Check(lines[2], gc.Equals, wrench.LineReport{Line: 4, Text: "a off", Problem: `feature "a" is already set on line 1, which wins`})
	c.Check(r.Problems(), gc.Equals, 2)
	c.Check(r.OK(), gc.Equals, false)
}

func (s *checkSuite) TestGoodLinesOfARefusedFileAreNotHonoured(c *gc.C) {
	path := s.writeFile(c, "agent", "a\n")
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	s.settle()
	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Assert(r.Files, gc.HasLen, 1)
	c.Check(r.Files[0].Problem, gc.Equals, "is writable by its group (mode 0666)")
	c.Check(r.Files[0].Lines, gc.DeepEquals, []wrench.LineReport{{Line: 1, Text: "a", Feature: "a", Trigger: "on"}})
	c.Check(r.Problems(), gc.Equals, 1)
	// The same in a refused directory.
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	s.settle()
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	s.settle()
	r, err = wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(r.Files[0].Problem, gc.Equals, "is ignored with its directory")
	c.Check(r.Files[0].Lines[0].Honoured, gc.Equals, false)
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, false)
}

// fileProblem checks the one file and gives its problem.
func fileProblem(c *gc.C, uid int) string {
	r, err := wrench.CheckUser(uid)
	c.Assert(err, gc.IsNil)
	c.Assert(r.Files, gc.HasLen, 1)
	c.Check(r.OK(), gc.Equals, r.Files[0].Problem == "" && r.Directory.Problem == "")
	return r.Files[0].Problem
}

func (s *checkSuite) TestOwnerAndMode(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "a\n")
	c.Check(fileProblem(c, 0), gc.Equals, "")
	c.Check(fileProblem(c, 4242), gc.Equals, "")

	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)
	c.Check(fileProblem(c, 0), gc.Equals, "is owned by uid 12345, not by uid 0 or root")
	c.Check(fileProblem(c, 4242), gc.Equals, "is owned by uid 12345, not by uid 4242 or root")
	c.Check(fileProblem(c, otherUID), gc.Equals, "")

	c.Assert(os.Chmod(path, 0o664), gc.IsNil)
	c.Check(fileProblem(c, otherUID), gc.Equals, "is writable by its group (mode 0664)")
	c.Assert(os.Chmod(path, 0o646), gc.IsNil)
	c.Check(fileProblem(c, otherUID), gc.Equals, "is writable by others (mode 0646)")

	// The owner's own read permission is what counts for the owner.
	c.Assert(os.Chmod(path, 0o044), gc.IsNil)
	c.Check(fileProblem(c, otherUID), gc.Equals, "cannot be read by uid 12345 (mode 0044, owner uid 12345)")
	c.Check(fileProblem(c, 0), gc.Equals, "is owned by uid 12345, not by uid 0 or root")

	// Root's file must be readable by the user checked for.
	c.Assert(os.Lchown(path, 0, 0), gc.IsNil)
	c.Assert(os.Chmod(path, 0o600), gc.IsNil)
	c.Check(fileProblem(c, 0), gc.Equals, "")
	c.Check(fileProblem(c, 4242), gc.Equals, "cannot be read by uid 4242 (mode 0600, owner uid 0)")
	c.Assert(os.Chmod(path, 0o640), gc.IsNil)
	c.Check(fileProblem(c, 4242), gc.Equals, "cannot be read by uid 4242 unless it is in group 0 (mode 0640; uid 4242 has no user entry, so its groups are unknown)")
}

func (s *checkSuite) TestDirectory(c *gc.C) {
	needRoot(c)
	s.writeFile(c, "agent", "a\n")
	r, err := wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.UID, gc.Equals, otherUID)
	c.Check(r.OK(), gc.Equals, true)

	c.Assert(os.Chmod(s.dir, 0o700), gc.IsNil)
	r, err = wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "cannot be searched by uid 12345 (mode 0700, owner uid 0)")
	c.Check(r.Files[0].Problem, gc.Equals, "is ignored with its directory")
	c.Check(r.Problems(), gc.Equals, 2)

	c.Assert(os.Chmod(s.dir, 0o757), gc.IsNil)
	r, err = wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "is writable by others (mode 0757)")

	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Lchown(s.dir, otherUID, otherUID), gc.IsNil)
	r, err = wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "is owned by uid 12345, not by uid 0 or root")
	r, err = wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true)
}

func (s *checkSuite) TestASymlinkedDirectory(c *gc.C) {
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(real, "agent"), []byte("a\n"), 0o644), gc.IsNil)
	c.Assert(os.Symlink(real, s.dir), gc.IsNil)
	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory, gc.Equals, wrench.DirectoryReport{Path: s.dir, Exists: true, Problem: "is a symbolic link, not a directory"})
	c.Check(r.Files, gc.HasLen, 0)
	_, err = wrench.List()
	c.Check(err, gc.ErrorMatches, `cannot list: .*/wrench is a symbolic link, not a directory`)
}

func (s *checkSuite) TestWhatIsNotARegularFile(c *gc.C) {
	c.Assert(syscall.Mkfifo(filepath.Join(s.dir, "fifo"), 0o644), gc.IsNil)
	c.Assert(os.Symlink("/etc/passwd", filepath.Join(s.dir, "link")), gc.IsNil)
	c.Assert(os.Mkdir(filepath.Join(s.dir, "dir"), 0o755), gc.IsNil)
	s.writeFile(c, "big", string(make([]byte, wrench.MaxFileSize+1)))
	s.writeFile(c, "bad name", "a\n")
	s.writeFile(c, ".hidden", "a\n")

	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	problems := map[string]string{}
	for _, f := range r.Files {
		c.Check(f.Exists, gc.Equals, true)
		c.Check(f.Lines, gc.HasLen, 0)
		problems[f.Category] = f.Problem
	}
	c.Check(problems, gc.DeepEquals, map[string]string{
		"bad name": `is never read: category name "bad name" has " ", outside A-Z a-z 0-9 . _ -`,
		"big":      "is 65537 bytes, over the 65536 byte limit",
		"dir":      "is a directory, not a regular file",
		"fifo":     "is a named pipe (FIFO), not a regular file",
		"link":     "is a symbolic link, not a regular file",
	})

	files, err := wrench.List()
	c.Assert(err, gc.IsNil)
	unreadable := map[string]string{}
	for _, f := range files {
		unreadable[f.Category] = f.Unreadable
	}
	c.Check(unreadable, gc.DeepEquals, map[string]string{
		"big":  "is 65537 bytes, over the 65536 byte limit",
		"dir":  "is a directory, not a regular file",
		"fifo": "is a named pipe (FIFO), not a regular file",
		"link": "is a symbolic link, not a regular file",
	})
}

func (s *checkSuite) TestARefusedFileStillShowsItsLines(c *gc.C) {
	path := s.writeFile(c, "agent", "a\nb on#x\n")
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(r.Files[0].Problem, gc.Equals, "is writable by its group (mode 0666)")
	c.Check(r.Files[0].Lines, gc.HasLen, 2)
	c.Check(r.Problems(), gc.Equals, 2)
}

func (s *checkSuite) TestNegativeUID(c *gc.C) {
	_, err := wrench.CheckUser(-1)
	c.Check(err, gc.ErrorMatches, `wrench.CheckUser: uid -1 is negative`)
}

// TestCheckAgreesWithIsActive puts the category file in each state the
// trust rules tell apart and checks that Check's verdict for this process
// is exactly whether IsActive honours the file.
func (s *checkSuite) TestCheckAgreesWithIsActive(c *gc.C) {
	states := []struct {
		about string
		make  func(path string)
	}{
		{"0644", func(path string) {}},
		{"0600", func(path string) { c.Assert(os.Chmod(path, 0o600), gc.IsNil) }},
		{"0640", func(path string) { c.Assert(os.Chmod(path, 0o640), gc.IsNil) }},
		{"0664", func(path string) { c.Assert(os.Chmod(path, 0o664), gc.IsNil) }},
		{"0646", func(path string) { c.Assert(os.Chmod(path, 0o646), gc.IsNil) }},
		{"FIFO", func(path string) {
			c.Assert(os.Remove(path), gc.IsNil)
			s.settle()
			c.Assert(syscall.Mkfifo(path, 0o644), gc.IsNil)
		}},
		{"symlink", func(path string) {
			target := filepath.Join(s.dataDir, "target")
			c.Assert(os.WriteFile(target, []byte("a\n"), 0o644), gc.IsNil)
			s.settle()
			c.Assert(os.Remove(path), gc.IsNil)
			s.settle()
			c.Assert(os.Symlink(target, path), gc.IsNil)
			s.settle()
		}},
		{"too big", func(path string) {
			c.Assert(os.WriteFile(path, []byte("a\n"+string(make([]byte, wrench.MaxFileSize))), 0o644), gc.IsNil)
			s.settle()
		}},
	}
	if os.Geteuid() == 0 {
		states = append(states, struct {
			about string
			make  func(path string)
		}{"another owner", func(path string) { c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil) }})
	}
	for _, st := range states {
		c.Logf("file state: %s", st.about)
		wrench.SetDataDir(s.dataDir) // forget the last state's snapshot
		os.Remove(filepath.Join(s.dataDir, "target"))
		path := s.writeFile(c, "agent", "a\n")
		st.make(path)
		r, err := wrench.Check("agent")
		c.Assert(err, gc.IsNil)
		c.Check(r.Files[0].Problem == "", gc.Equals, wrench.IsActive("agent", "a"), gc.Commentf("problem: %q", r.Files[0].Problem))
		c.Assert(os.Remove(path), gc.IsNil)
		s.settle()
	}
}

// nobodyUID is a user with an entry in the user database, so Check knows
// its groups: nobody, in the group nogroup only.
const nobodyUID = 65534

// childVerdict is what a child process running as another user says:
// Check's report as that user, for the category agent and for all, and
// IsActive's answer for agent's feature x.
type childVerdict struct {
	Named  wrench.Report
	All    wrench.Report
	Active bool
}

func init() {
	// The child side of verdictsAs runs before any test.
	if os.Getenv("WRENCH_TEST_CHILD") != "check-as" {
		return
	}
	wrench.SetDataDir(os.Getenv("WRENCH_TEST_DATADIR"))
	var v childVerdict
	var err error
	if v.Named, err = wrench.Check("agent"); err == nil {
		v.All, err = wrench.Check()
	}
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	v.Active = wrench.IsActive("agent", "x")
	json.NewEncoder(os.Stdout).Encode(v)
	os.Exit(0)
}

// verdictsAs runs the test binary bin as uid (in uid's primary group, or
// a group of its own number when it has no user entry), where it checks
// and asks IsActive as that user.
func verdictsAs(c *gc.C, bin string, uid int, dataDir string) childVerdict {
	gid := uid
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		gid, err = strconv.Atoi(u.Gid)
		c.Assert(err, gc.IsNil)
	}
	cmd := childProcess("check-as", dataDir)
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	c.Assert(err, gc.IsNil, gc.Commentf("%s", stderr.String()))
	var v childVerdict
	c.Assert(json.Unmarshal(out, &v), gc.IsNil, gc.Commentf("%s", out))
	return v
}

// honoured is whether the report says IsActive honours agent's rule x.
func honoured(r wrench.Report) bool {
	for _, f := range r.Files {
		for _, l := range f.Lines {
			if f.Category == "agent" && l.Feature == "x" {
				return l.Honoured
			}
		}
	}
	return false
}

// TestCheckSaysWhatIsActiveDoesForAnotherUser lays out the directories
// above and at the wrench directory in each way the kernel's permission
// checks tell apart, and for two users (one with a user entry, so its
// groups are known, one without) proves that check --uid run by root,
// check run by that user itself and IsActive in a process of that user
// all agree.
func (s *checkSuite) TestCheckSaysWhatIsActiveDoesForAnotherUser(c *gc.C) {
	needRoot(c)
	if _, err := user.LookupId(strconv.Itoa(nobodyUID)); err != nil {
		c.Skip("no user entry for nobody (65534), whose groups the test needs")
	}
	bin := filepath.Join(tempDir(c), "wrench.test")
	copyFile(c, os.Args[0], bin, 0o755)

	chmod := func(path string, mode os.FileMode) { c.Assert(os.Chmod(path, mode), gc.IsNil) }
	nogroup := func(path string) { c.Assert(os.Chown(path, 0, nobodyUID), gc.IsNil) }
	for _, t := range []struct {
		about string
		// arrange makes base/data/wrench/agent (all root's, 0755 and
		// 0644) into the layout, and gives the data directory to use.
		arrange func(base string) string
		// want is IsActive's answer as otherUID, then as nobody.
		want [2]bool
	}{
		{"all open", func(base string) string { return base + "/data" }, [2]bool{true, true}},
		{"data directory 0700", func(base string) string {
			chmod(base+"/data", 0o700)
			return base + "/data"
		}, [2]bool{false, false}},
		{"a directory further up 0700", func(base string) string {
			chmod(base, 0o700)
			return base + "/data"
		}, [2]bool{false, false}},
		{"wrench directory 0311: searchable, not listable", func(base string) string {
			chmod(base+"/data/wrench", 0o311)
			return base + "/data"
		}, [2]bool{true, true}},
		{"wrench directory 0700", func(base string) string {
			chmod(base+"/data/wrench", 0o700)
			return base + "/data"
		}, [2]bool{false, false}},
		{"file 0600", func(base string) string {
			chmod(base+"/data/wrench/agent", 0o600)
			return base + "/data"
		}, [2]bool{false, false}},
		{"data directory 0750 in nobody's group", func(base string) string {
			nogroup(base + "/data")
			chmod(base+"/data", 0o750)
			return base + "/data"
		}, [2]bool{false, true}},
		{"data directory 0705 in nobody's group: the group's bits count for it", func(base string) string {
			nogroup(base + "/data")
			chmod(base+"/data", 0o705)
			return base + "/data"
		}, [2]bool{true, false}},
		{"file 0640 in nobody's group", func(base string) string {
			nogroup(base + "/data/wrench/agent")
			chmod(base+"/data/wrench/agent", 0o640)
			return base + "/data"
		}, [2]bool{false, true}},
		{"data directory a symbolic link into a 0700 directory", func(base string) string {
			c.Assert(os.Mkdir(base+"/locked", 0o700), gc.IsNil)
			s.settle()
			c.Assert(os.Rename(base+"/data", base+"/locked/data"), gc.IsNil)
			s.settle()
			c.Assert(os.Symlink("locked/./data", base+"/link"), gc.IsNil)
			s.settle()
			return base + "/link"
		}, [2]bool{false, false}},
		{"data directory a symbolic link out of a 0700 directory", func(base string) string {
			c.Assert(os.Mkdir(base+"/locked", 0o700), gc.IsNil)
			s.settle()
			c.Assert(os.Symlink("../data", base+"/locked/link"), gc.IsNil)
			s.settle()
			c.Assert(os.Symlink("locked/link", base+"/link"), gc.IsNil)
			s.settle()
			return base + "/link"
		}, [2]bool{false, false}},
		{"data directory a symbolic link to an open directory", func(base string) string {
			c.Assert(os.Symlink(base+"/data", base+"/link"), gc.IsNil)
			s.settle()
			return base + "/link"
		}, [2]bool{true, true}},
	} {
		base := tempDir(c)
		c.Assert(os.MkdirAll(base+"/data/wrench", 0o755), gc.IsNil)
		s.settle()
		chmod(base+"/data", 0o755)
		chmod(base+"/data/wrench", 0o755)
		c.Assert(os.WriteFile(base+"/data/wrench/agent", []byte("x\n"), 0o644), gc.IsNil)
		s.settle()
		chmod(base+"/data/wrench/agent", 0o644)
		dataDir := t.arrange(base)
		wrench.SetDataDir(dataDir)
		for i, uid := range []int{otherUID, nobodyUID} {
			about := t.about + ", uid " + strconv.Itoa(uid)
			asRoot, err := wrench.CheckUser(uid, "agent")
			c.Assert(err, gc.IsNil)
			child := verdictsAs(c, bin, uid, dataDir)
			c.Check(child.Active, gc.Equals, t.want[i], gc.Commentf("%s", about))
			c.Check(honoured(asRoot), gc.Equals, child.Active, gc.Commentf("%s: check --uid: %+v", about, asRoot))
			c.Check(honoured(child.Named), gc.Equals, child.Active, gc.Commentf("%s: check as the user: %+v", about, child.Named))
			// With nothing named, a directory the user can use is no
			// problem, even where the user cannot list it.
			if child.Active {
				c.Check(child.All.OK(), gc.Equals, true, gc.Commentf("%s: %+v", about, child.All))
				c.Check(honoured(child.All), gc.Equals, child.All.Directory.Unlisted == "", gc.Commentf("%s: %+v", about, child.All))
			}
		}
	}
}

// TestTheReasonNamesTheDirectory: check says which directory on the way
// is in the way, and what it does not know.
func (s *checkSuite) TestTheReasonNamesTheDirectory(c *gc.C) {
	needRoot(c)
	s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chmod(s.dataDir, 0o700), gc.IsNil)
	s.settle()
	r, err := wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "is out of reach: "+s.dataDir+" cannot be searched by uid 12345 (mode 0700, owner uid 0)")
	c.Check(r.Files[0].Problem, gc.Equals, "is ignored with its directory")
	c.Check(r.Problems(), gc.Equals, 2)

	c.Assert(os.Chmod(s.dataDir, 0o710), gc.IsNil)
	s.settle()
	r, err = wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "is out of reach: "+s.dataDir+" cannot be searched by uid 12345 unless it is in group 0 (mode 0710; uid 12345 has no user entry, so its groups are unknown)")

	// Root is never out of reach.
	r, err = wrench.CheckUser(0)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true)

	// A wrench directory that uid may search but not list is fine.
	c.Assert(os.Chmod(s.dataDir, 0o755), gc.IsNil)
	s.settle()
	c.Assert(os.Chmod(s.dir, 0o311), gc.IsNil)
	s.settle()
	r, err = wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true)
	c.Check(r.Files[0].Lines[0].Honoured, gc.Equals, true)
}

// pauseTwoCalls arms agent:x with pause, polled every millisecond, and
// starts two calls of it; it returns once both are paused, with the
// channel their answers will come on.
func (s *trustSuite) pauseTwoCalls(c *gc.C) chan bool {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	s.writeFile(c, "agent", "x pause\n")
	answers := make(chan bool, 2)
	for i := 0; i < 2; i++ {
		go func() { answers <- wrench.IsActive("agent", "x") }()
	}
	s.waitFirings(c, "agent:x: pause fired", 2)
	nothingReturned(c, answers)
	return answers
}

// A file refused by its mode (unix) after it was read shows in the live
// state with why.
func (s *liveSuite) TestARefusedFileIsShownWithWhy(c *gc.C) {
	path := s.writeFile(c, "agent", "x on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(1))
	c.Assert(os.Chmod(path, 0o646), gc.IsNil)
	s.settle()
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	deadline := time.Now().Add(failAfter)
	for {
		st, err := wrench.Status("agent")
		c.Assert(err, gc.IsNil)
		if p := mine(c, st.Categories[0]); p.Refused != "" {
			c.Check(p.Refused, gc.Matches, `is writable by others \(mode 0646\)|.*`)
			c.Check(p.Version, gc.Equals, "")
			c.Check(p.Rules, gc.HasLen, 0)
			return
		}
		if time.Now().After(deadline) {
			c.Fatalf("the refusal never showed: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *liveSuite) TestAFileNoProcessTrustsHasNoVersion(c *gc.C) {
	// A file writable by others is refused whoever reads it: the status
	// shows no version for it, with why, and a process refusing it
	// serves it as it is now (none), in either mode.
	path := s.writeFile(c, "agent", "x on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(1)) // it shows as reading it
	c.Assert(os.Chmod(path, 0o646), gc.IsNil)
	s.settle()
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	cs := waitFor(c, "agent", "", wrench.WhenLoaded())
	c.Check(cs.Version, gc.Equals, "")
	c.Check(cs.Refused, gc.Equals, "is writable by others (mode 0646)")
	c.Check(mine(c, cs).Loaded, gc.Equals, true)
	if !s.exact {
		c.Check(mine(c, cs).Refused, gc.Equals, cs.Refused)
	}

	// Trusted again: its version is back, and served.
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	s.settle()
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	cs = waitFor(c, "agent", "", wrench.WhenLoaded())
	c.Check(cs.Version, gc.Matches, "[0-9a-f]{64}")
	c.Check(cs.Refused, gc.Equals, "")
}

// The tests of watched mode below change the disk behind the process's
// back and never call Sync. Where an event must tell, the look at
// everything comes once an hour (see watchedSuite.SetUpTest): the change
// is seen within failAfter through its events, or not at all. Where no
// event can tell, they set the real interval and hold the watcher to the
// one second SPEC section 9 allows.

func (s *watchedSuite) TestAChownIsSeenWithoutSync(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	eventually(c, "agent", "x", false)
	c.Check(s.logged(loggo.ERROR, "refusing "+path+": is owned by uid 12345"), gc.HasLen, 1)
	c.Assert(os.Chown(path, 0, 0), gc.IsNil)
	eventually(c, "agent", "x", true)

	c.Assert(os.Chown(s.dir, otherUID, 0), gc.IsNil)
	eventually(c, "agent", "x", false)
	c.Check(s.logged(loggo.ERROR, "refusing wrench directory "+s.dir+": is owned by uid 12345"), gc.HasLen, 1)
	c.Assert(os.Chown(s.dir, 0, 0), gc.IsNil)
	eventually(c, "agent", "x", true)
}

// withinTheSecond waits, without Sync, until IsActive(category, feature)
// says want, and checks it took less than the second a change no event
// shows may take.
func withinTheSecond(c *gc.C, category, feature string, want bool) {
	took := eventually(c, category, feature, want)
	c.Logf("IsActive(%q, %q) said %v after %v", category, feature, want, took)
	c.Check(took < time.Second, gc.Equals, true, gc.Commentf("seen after %v", took))
}

func (s *watchedSuite) TestAWriteAndAChmodThroughAHardLinkElsewhereAreSeenWithinTheSecond(c *gc.C) {
	// Through a link in another directory the wrench directory's watch
	// hears nothing: only the look at everything finds these.
	s.addRestore(wrench.SetRescanInterval(wrench.RealRescanInterval))
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	elsewhere := filepath.Join(s.dataDir, "elsewhere")
	c.Assert(os.Mkdir(elsewhere, 0o755), gc.IsNil)
	link := filepath.Join(elsewhere, "agent")
	c.Assert(os.Link(path, link), gc.IsNil)

	f, err := os.OpenFile(link, os.O_WRONLY|os.O_TRUNC, 0)
	c.Assert(err, gc.IsNil)
	_, err = f.WriteString("y\n")
	c.Assert(err, gc.IsNil)
	c.Assert(f.Close(), gc.IsNil)
	withinTheSecond(c, "agent", "y", true)

	c.Assert(os.Chmod(link, 0o666), gc.IsNil)
	withinTheSecond(c, "agent", "y", false)
	c.Check(s.logged(loggo.ERROR, "refusing "+path+": is writable by its group (mode 0666)"), gc.HasLen, 1)
}

func (s *watchedSuite) TestTheDataDirectoryRemovedAndMadeAgainIsSeenWithinTheSecond(c *gc.C) {
	// Its removal is heard; the new one is not (the data directory's
	// watch went with the old one), so the next look finds it, and
	// watches it again.
	s.addRestore(wrench.SetRescanInterval(wrench.RealRescanInterval))
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	mode := lstat(c, s.dataDir).Mode().Perm()
	// The publisher of this process's live state may be writing in the
	// wrench directory as it goes: try again until it is all gone.
	err := os.RemoveAll(s.dataDir)
	for i := 0; err != nil && i < 100; i++ {
		err = os.RemoveAll(s.dataDir)
	}
	c.Assert(err, gc.IsNil)
	eventually(c, "agent", "x", false)

	c.Assert(os.Mkdir(s.dataDir, mode), gc.IsNil)
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.WriteFile(path, []byte("y\n"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	withinTheSecond(c, "agent", "y", true)
}
