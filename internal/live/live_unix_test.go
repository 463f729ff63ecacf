//go:build unix

package live

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"
)

// otherUID owns files in tests that need an owner who is neither the
// process's user nor root. No account need exist for it.
const otherUID = 12345

// readSuite writes states by hand and reads them.
type readSuite struct {
	dir  string // the wrench directory
	mine string // this user's directory of states in it
}

var _ = gc.Suite(&readSuite{})

func (s *readSuite) SetUpTest(c *gc.C) {
	s.dir = filepath.Join(tempDir(c), "wrench")
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	s.mine = filepath.Join(s.dir, DirName())
	c.Assert(os.Mkdir(s.mine, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.mine, 0o755), gc.IsNil)
}

func needRoot(c *gc.C) {
	if os.Geteuid() != 0 {
		c.Skip("needs root to chown files to another uid")
	}
}

// write writes p as a state named name in dir, mode 0644.
func write(c *gc.C, dir, name string, p *Process) string {
	data, err := Encode(p)
	c.Assert(err, gc.IsNil)
	path := filepath.Join(dir, name)
	c.Assert(os.WriteFile(path, data, 0o644), gc.IsNil)
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	return path
}

// self is this process's state, with a category.
func self() *Process {
	p := Self()
	p.Seed = "7"
	p.Categories = []Category{{Name: "agent", Version: "v"}}
	return &p
}

func (s *readSuite) read(c *gc.C) Found {
	f, err := Read(s.dir)
	c.Assert(err, gc.IsNil)
	return f
}

func (s *readSuite) TestTrustedStateOfALiveProcess(c *gc.C) {
	write(c, s.mine, strconv.Itoa(os.Getpid()), self())
	f := s.read(c)
	c.Assert(f.Ignored, gc.HasLen, 0)
	c.Assert(f.Processes, gc.HasLen, 1)
	c.Check(f.Processes[0].PID, gc.Equals, os.Getpid())
	c.Check(f.Processes[0].Categories[0].Name, gc.Equals, "agent")
}

func (s *readSuite) TestNoWrenchDirectoryNoState(c *gc.C) {
	f, err := Read(filepath.Join(s.dir, "nothing"))
	c.Assert(err, gc.IsNil)
	c.Check(f, gc.DeepEquals, Found{})
}

func (s *readSuite) TestStateOfAnExitedProcessIsRemoved(c *gc.C) {
	// A process that ran and was reaped: its pid names no process now.
	cmd := exec.Command("true")
	c.Assert(cmd.Run(), gc.IsNil)
	p := self()
	p.PID = cmd.Process.Pid
	path := write(c, s.mine, strconv.Itoa(p.PID), p)
	litter := filepath.Join(s.mine, "."+strconv.Itoa(p.PID)+".tmp-1")
	c.Assert(os.WriteFile(litter, nil, 0o600), gc.IsNil)
	f := s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.HasLen, 0)
	for _, gone := range []string{path, litter} {
		_, err := os.Stat(gone)
		c.Check(os.IsNotExist(err), gc.Equals, true, gc.Commentf("%s", gone))
	}
}

func (s *readSuite) TestAPidUsedAgainIsAnotherProcess(c *gc.C) {
	// This very pid, with another start time: the process that wrote it
	// has exited, and the pid is someone else's now.
	p := self()
	p.Start = "1"
	path := write(c, s.mine, strconv.Itoa(p.PID), p)
	f := s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	_, err := os.Stat(path)
	c.Check(os.IsNotExist(err), gc.Equals, true)
}

func (s *readSuite) TestStatesOthersCouldHaveWrittenAreIgnored(c *gc.C) {
	pid := strconv.Itoa(os.Getpid())
	path := write(c, s.mine, pid, self())
	for _, t := range []struct {
		mode   os.FileMode
		reason string
	}{
		{0o664, "is writable by its group (mode 0664)"},
		{0o646, "is writable by others (mode 0646)"},
	} {
		c.Assert(os.Chmod(path, t.mode), gc.IsNil)
		f := s.read(c)
		c.Check(f.Processes, gc.HasLen, 0)
		c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: path, Reason: t.reason}})
	}
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	c.Assert(os.Chmod(s.mine, 0o775), gc.IsNil)
	f := s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: s.mine, Reason: "is writable by its group (mode 0775)"}})
	c.Assert(os.Chmod(s.mine, 0o755), gc.IsNil)
	c.Check(s.read(c).Processes, gc.HasLen, 1)
}

func (s *readSuite) TestOwnersMustBeTheProcessUserOrRoot(c *gc.C) {
	needRoot(c)
	pid := strconv.Itoa(os.Getpid())
	path := write(c, s.mine, pid, self())
	c.Assert(os.Chown(path, otherUID, 0), gc.IsNil)
	f := s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: path, Reason: "is owned by uid 12345, not by uid 0 or root"}})

	// A state in another user's directory, owned by that user, that
	// claims a process of root: ignored, it names the wrong user.
	theirs := filepath.Join(s.dir, DirPrefix+strconv.Itoa(otherUID))
	c.Assert(os.Mkdir(theirs, 0o755), gc.IsNil)
	c.Assert(os.Chown(theirs, otherUID, 0), gc.IsNil)
	c.Assert(os.Remove(path), gc.IsNil)
	forged := write(c, theirs, pid, self())
	c.Assert(os.Chown(forged, otherUID, 0), gc.IsNil)
	f = s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: forged, Reason: "describes a process of uid 0, but is in the directory of uid 12345"}})

	// One that says it is of that user, but names a live process of
	// root: the process is not theirs.
	p := self()
	p.EUID = otherUID
	forged = write(c, theirs, pid, p)
	c.Assert(os.Chown(forged, otherUID, 0), gc.IsNil)
	f = s.read(c)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: forged, Reason: "names pid " + pid + ", which runs as uid 0, not uid 12345"}})

	// The directory owned by a third user: ignored as a whole.
	c.Assert(os.Chown(theirs, otherUID+1, 0), gc.IsNil)
	f = s.read(c)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: theirs, Reason: "is owned by uid 12346, not by uid 12345 or root"}})
}

func (s *readSuite) TestWhatIsNotAStateIsIgnored(c *gc.C) {
	pid := strconv.Itoa(os.Getpid())
	// A symbolic link where a state would be, or a directory of states.
	target := write(c, s.mine, "target", self())
	c.Assert(os.Remove(target), gc.IsNil)
	c.Assert(os.Symlink("/etc/passwd", filepath.Join(s.mine, pid)), gc.IsNil)
	linkDir := filepath.Join(s.dir, DirPrefix+"4242")
	c.Assert(os.Symlink(s.mine, linkDir), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(s.dir, DirPrefix+"x"), nil, 0o644), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(s.mine, "garbage"), nil, 0o644), gc.IsNil)
	f := s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.HasLen, 4)
	reasons := map[string]string{}
	for _, ig := range f.Ignored {
		reasons[ig.Path] = ig.Reason
	}
	c.Check(reasons, gc.DeepEquals, map[string]string{
		filepath.Join(s.mine, pid):          "is a symbolic link, not a regular file",
		filepath.Join(s.mine, "garbage"):    "is not named for a pid",
		linkDir:                             "is a symbolic link, not a directory",
		filepath.Join(s.dir, DirPrefix+"x"): "is not named .live-UID",
	})
	// A file that is not a state, or names another pid.
	c.Assert(os.Remove(filepath.Join(s.mine, pid)), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(s.mine, pid), []byte("hello"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(filepath.Join(s.mine, pid), 0o644), gc.IsNil)
	p := self()
	p.PID = 1
	write(c, s.mine, "2", p)
	f = s.read(c)
	reasons = map[string]string{}
	for _, ig := range f.Ignored {
		reasons[ig.Path] = ig.Reason
	}
	c.Check(reasons[filepath.Join(s.mine, "2")], gc.Equals, "describes pid 1, but is named 2")
	c.Check(reasons[filepath.Join(s.mine, pid)], gc.Equals, "is not a live state: invalid character 'h' looking for beginning of value")
}

func (s *readSuite) TestStateDirectoryAnotherUserOwnsIsNotWrittenIn(c *gc.C) {
	needRoot(c)
	c.Assert(os.Chown(s.mine, otherUID, 0), gc.IsNil)
	err := writeState(s.dir, DirName(), "1", []byte("{}"))
	c.Check(err, gc.ErrorMatches, ".* is owned by uid 12345, not by uid 0 or root, so no reader would trust a state in it")
}

func (s *readSuite) TestNoStateIsWrittenThroughASymbolicLink(c *gc.C) {
	elsewhere := tempDir(c)
	c.Assert(os.Remove(s.mine), gc.IsNil)
	c.Assert(os.Symlink(elsewhere, s.mine), gc.IsNil)
	err := writeState(s.dir, DirName(), "1", []byte("{}"))
	c.Check(err, gc.ErrorMatches, ".* is a symbolic link, not a directory, so no reader would trust a state in it")
	entries, err := os.ReadDir(elsewhere)
	c.Assert(err, gc.IsNil)
	c.Check(entries, gc.HasLen, 0)
	// Nor removed through one.
	c.Assert(os.WriteFile(filepath.Join(elsewhere, "1"), nil, 0o644), gc.IsNil)
	c.Check(removeState(s.dir, DirName(), "1"), gc.NotNil)
	_, err = os.Stat(filepath.Join(elsewhere, "1"))
	c.Check(err, gc.IsNil)
}

func (s *readSuite) TestNoStateIsWrittenThroughALinkedWrenchDirectory(c *gc.C) {
	// Whoever owns the data directory swaps the wrench directory for a
	// link: nothing is made, written, chmodded or removed where it
	// points, whether the state's directory is there or not.
	elsewhere := tempDir(c)
	c.Assert(os.Chmod(elsewhere, 0o755), gc.IsNil)
	real := s.dir + ".real"
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	c.Assert(os.Symlink(elsewhere, s.dir), gc.IsNil)
	err := writeState(s.dir, DirName(), "1", []byte("{}"))
	c.Check(err, gc.ErrorMatches, "the wrench directory .* is a symbolic link, not a directory, so no state is written in it")
	entries, err := os.ReadDir(elsewhere)
	c.Assert(err, gc.IsNil)
	c.Check(entries, gc.HasLen, 0)

	theirs := filepath.Join(elsewhere, DirName())
	c.Assert(os.Mkdir(theirs, 0o700), gc.IsNil)
	c.Assert(os.Chmod(theirs, 0o700), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(theirs, "1"), nil, 0o600), gc.IsNil)
	c.Check(writeState(s.dir, DirName(), "1", []byte("{}")), gc.NotNil)
	c.Check(removeState(s.dir, DirName(), "1"), gc.NotNil)
	fi, err := os.Stat(theirs)
	c.Assert(err, gc.IsNil)
	c.Check(fi.Mode().Perm(), gc.Equals, os.FileMode(0o700))
	data, err := os.ReadFile(filepath.Join(theirs, "1"))
	c.Assert(err, gc.IsNil)
	c.Check(data, gc.HasLen, 0)
	entries, err = os.ReadDir(theirs)
	c.Assert(err, gc.IsNil)
	c.Check(entries, gc.HasLen, 1)
}

func (s *readSuite) TestNoStateIsWrittenInAnUntrustedWrenchDirectory(c *gc.C) {
	c.Assert(os.Remove(s.mine), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o757), gc.IsNil)
	err := writeState(s.dir, DirName(), "1", []byte("{}"))
	c.Check(err, gc.ErrorMatches, "the wrench directory .* is writable by others \\(mode 0757\\), so no state is written in it")
	_, err = os.Lstat(s.mine)
	c.Check(os.IsNotExist(err), gc.Equals, true)
}

func (s *publishSuite) TestAWrenchDirectorySwappedForALinkIsNotPublishedIn(c *gc.C) {
	// The publisher wrote a state, then the wrench directory is swapped
	// for a link to another directory: the next writes make nothing
	// there, and the state is not removed through it.
	lazyInterval = time.Hour // only the tokens sent here collect
	logs := &loggo.TestWriter{}
	old, err := loggo.ReplaceDefaultWriter(logs)
	c.Assert(err, gc.IsNil)
	defer loggo.ReplaceDefaultWriter(old)
	one := []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 1}}}}
	s.state <- one
	collected := make(chan struct{}, 100)
	p := Publish(s.dir, 1, s.changed, func() ([]Category, bool) {
		cats, exact := s.collect()
		collected <- struct{}{}
		return cats, exact
	})
	defer p.Stop()
	s.waitFor(c, one)
	<-collected // the first write's
	elsewhere := tempDir(c)
	c.Assert(os.Rename(s.dir, s.dir+".real"), gc.IsNil)
	c.Assert(os.Symlink(elsewhere, s.dir), gc.IsNil)
	for i := 2; i < 4; i++ {
		s.state <- []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: uint64(i)}}}}
		s.changed <- struct{}{}
		// The run loop writes after each collection: the second
		// collection since the swap follows the first write's attempt.
		<-collected
	}
	s.changed <- struct{}{}
	<-collected
	p.Stop()
	entries, err := os.ReadDir(elsewhere)
	c.Assert(err, gc.IsNil)
	c.Check(entries, gc.HasLen, 0)
	_, err = os.Stat(filepath.Join(s.dir+".real", DirName(), strconv.Itoa(os.Getpid())))
	c.Check(err, gc.IsNil) // its own state, left where the link hid it

	// One warning, that names the link and offers no place to make.
	var warnings []string
	for _, e := range logs.Log() {
		if e.Level == loggo.WARNING {
			warnings = append(warnings, e.Message)
		}
	}
	c.Assert(warnings, gc.HasLen, 1)
	c.Check(warnings[0], gc.Matches, `cannot write live state .*: the wrench directory .* is a symbolic link, not a directory, so no state is written in it; wrench status and wait cannot see this process until it can`)
}

func (s *readSuite) TestAWrenchDirectoryOthersMayChangeHoldsNoState(c *gc.C) {
	// Anyone who may write the wrench directory may add states or hide
	// them: none is believed, and the directory says why.
	write(c, s.mine, strconv.Itoa(os.Getpid()), self())
	for _, t := range []struct {
		mode   os.FileMode
		reason string
	}{
		{0o775, "is writable by its group (mode 0775)"},
		{0o757, "is writable by others (mode 0757)"},
		{os.ModeSticky | 0o757, "is writable by others (mode 1757)"},
	} {
		c.Assert(os.Chmod(s.dir, t.mode), gc.IsNil)
		f := s.read(c)
		c.Check(f.Processes, gc.HasLen, 0)
		c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: s.dir, Reason: t.reason}})
	}
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	c.Check(s.read(c).Processes, gc.HasLen, 1)

	// A link to a good one: what the path names is a link.
	link := s.dir + ".link"
	c.Assert(os.Symlink(s.dir, link), gc.IsNil)
	f, err := Read(link)
	c.Assert(err, gc.IsNil)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: link, Reason: "is a symbolic link, not a directory"}})
}

func (s *readSuite) TestStatesInAWrenchDirectoryTheirUserWouldNotTrust(c *gc.C) {
	// A wrench directory owned by another user: root's processes do not
	// publish there, and its owner may hide or swap root's states.
	needRoot(c)
	write(c, s.mine, strconv.Itoa(os.Getpid()), self())
	c.Assert(os.Chown(s.dir, otherUID, 0), gc.IsNil)
	f := s.read(c)
	c.Check(f.Processes, gc.HasLen, 0)
	c.Check(f.Ignored, gc.DeepEquals, []Ignored{{Path: s.mine, Reason: "is in the wrench directory, which is owned by uid 12345, not by uid 0 or root"}})
}
