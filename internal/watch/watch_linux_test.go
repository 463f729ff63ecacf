package watch_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/watch"
)

// otherUID is the user the child watcher runs as: neither root nor the
// owner of the directories, so a directory of mode 0311 is one it may
// enter but not read, and inotify refuses to watch it (EACCES). No
// account need exist for it.
const otherUID = 12345

func init() {
	// The child side of the tests below: drop to otherUID, start a
	// watcher of the directories named in the environment, and say on
	// stdout what Start returned, then each failure Failed is told and
	// each report of everything, in the order the watcher makes them,
	// until stdin is closed.
	if os.Getenv("WATCH_TEST_CHILD") != "unreadable" {
		return
	}
	if err := syscall.Setgid(otherUID); err != nil {
		fmt.Println("setgid:", err)
		os.Exit(2)
	}
	if err := syscall.Setuid(otherUID); err != nil {
		fmt.Println("setuid:", err)
		os.Exit(2)
	}
	dataDir := os.Getenv("WATCH_TEST_DATADIR")
	w, err := watch.Start(watch.Config{
		DataDir:  dataDir,
		Dir:      filepath.Join(dataDir, "wrench"),
		Interval: never,
		Wanted:   func(string) bool { return true },
		Report: func(ch watch.Changes) {
			if ch.All {
				fmt.Println("reported all")
			}
		},
		Failed: func(err error) { fmt.Println("failed:", err) },
	})
	if err != nil {
		fmt.Println("start failed:", err)
		os.Exit(0)
	}
	fmt.Println("started")
	io.Copy(io.Discard, os.Stdin)
	w.Close()
	os.Exit(0)
}

// startAsOther runs the child watcher of the suite's directories as
// otherUID, and returns its first line and a reader of the rest.
// The child ends when the test does, by the closing of its stdin.
func (s *watchSuite) startAsOther(c *gc.C) (string, *bufio.Scanner) {
	if os.Geteuid() != 0 {
		c.Skip("needs root to run a watcher as another user; run the tests as root to prove a watch that cannot be placed is reported")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WATCH_TEST_CHILD=unreadable", "WATCH_TEST_DATADIR="+s.dataDir)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	c.Assert(err, gc.IsNil)
	out, err := cmd.StdoutPipe()
	c.Assert(err, gc.IsNil)
	c.Assert(cmd.Start(), gc.IsNil)
	s.stop = func() {
		in.Close()
		c.Check(cmd.Wait(), gc.IsNil)
	}
	lines := bufio.NewScanner(out)
	c.Assert(lines.Scan(), gc.Equals, true, gc.Commentf("the child said nothing"))
	return lines.Text(), lines
}

func (s *watchSuite) TestADirectoryThatCannotBeWatchedFailsStart(c *gc.C) {
	// A wrench directory the user may enter but not read: inotify
	// refuses it, and the watcher says so rather than serve stale.
	c.Assert(os.Chmod(s.dir, 0o311), gc.IsNil)
	first, _ := s.startAsOther(c)
	c.Check(first, gc.Equals, "start failed: "+s.dir+": permission denied")
}

func (s *watchSuite) TestADataDirectoryThatCannotBeWatchedFailsStart(c *gc.C) {
	c.Assert(os.Remove(s.dir), gc.IsNil)
	c.Assert(os.Chmod(s.dataDir, 0o311), gc.IsNil)
	first, _ := s.startAsOther(c)
	c.Check(first, gc.Equals, "start failed: "+s.dataDir+": permission denied")
}

// makeDirLater starts the child watcher with no wrench directory, then
// moves one of mode perm into place, and returns what the child said
// next.
func (s *watchSuite) makeDirLater(c *gc.C, perm os.FileMode) string {
	c.Assert(os.Remove(s.dir), gc.IsNil)
	first, lines := s.startAsOther(c)
	c.Assert(first, gc.Equals, "started")
	next := s.dir + ".next"
	c.Assert(os.Mkdir(next, perm), gc.IsNil)
	c.Assert(os.Chmod(next, perm), gc.IsNil)
	c.Assert(os.Rename(next, s.dir), gc.IsNil)
	c.Assert(lines.Scan(), gc.Equals, true, gc.Commentf("the child said nothing more"))
	return lines.Text()
}

func (s *watchSuite) TestADirectoryMadeLaterThatCannotBeWatchedIsReported(c *gc.C) {
	// The watcher starts, watching the data directory for the wrench
	// directory; the one made then cannot be watched, and Failed is told
	// when the event of its making is heard, before that event is
	// reported.
	c.Check(s.makeDirLater(c, 0o311), gc.Equals, "failed: "+s.dir+": permission denied")
}

func (s *watchSuite) TestADirectoryMadeLaterThatCanBeWatchedIsNotAFailure(c *gc.C) {
	// The positive control: the same child, the same event, a directory
	// it may read.
	c.Check(s.makeDirLater(c, 0o755), gc.Equals, "reported all")
}
