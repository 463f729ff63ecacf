//go:build unix

package wrench_test

import (
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// checkSuite tests Check and CheckUser against files in every state the
// trust rules distinguish.
type checkSuite struct {
	baseSuite
}

var _ = gc.Suite(&checkSuite{})

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

	c.Assert(os.Remove(s.dir), gc.IsNil)
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
	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Assert(r.Files, gc.HasLen, 1)
	c.Check(r.Files[0].Problem, gc.Equals, "is writable by its group (mode 0666)")
	c.Check(r.Files[0].Lines, gc.DeepEquals, []wrench.LineReport{{Line: 1, Text: "a", Feature: "a", Trigger: "on"}})
	c.Check(r.Problems(), gc.Equals, 1)
	// The same in a refused directory.
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
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
			c.Assert(syscall.Mkfifo(path, 0o644), gc.IsNil)
		}},
		{"symlink", func(path string) {
			target := filepath.Join(s.dataDir, "target")
			c.Assert(os.WriteFile(target, []byte("a\n"), 0o644), gc.IsNil)
			c.Assert(os.Remove(path), gc.IsNil)
			c.Assert(os.Symlink(target, path), gc.IsNil)
		}},
		{"too big", func(path string) {
			c.Assert(os.WriteFile(path, []byte("a\n"+string(make([]byte, wrench.MaxFileSize))), 0o644), gc.IsNil)
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
			c.Assert(os.Rename(base+"/data", base+"/locked/data"), gc.IsNil)
			c.Assert(os.Symlink("locked/./data", base+"/link"), gc.IsNil)
			return base + "/link"
		}, [2]bool{false, false}},
		{"data directory a symbolic link out of a 0700 directory", func(base string) string {
			c.Assert(os.Mkdir(base+"/locked", 0o700), gc.IsNil)
			c.Assert(os.Symlink("../data", base+"/locked/link"), gc.IsNil)
			c.Assert(os.Symlink("locked/link", base+"/link"), gc.IsNil)
			return base + "/link"
		}, [2]bool{false, false}},
		{"data directory a symbolic link to an open directory", func(base string) string {
			c.Assert(os.Symlink(base+"/data", base+"/link"), gc.IsNil)
			return base + "/link"
		}, [2]bool{true, true}},
	} {
		base := tempDir(c)
		c.Assert(os.MkdirAll(base+"/data/wrench", 0o755), gc.IsNil)
		chmod(base+"/data", 0o755)
		chmod(base+"/data/wrench", 0o755)
		c.Assert(os.WriteFile(base+"/data/wrench/agent", []byte("x\n"), 0o644), gc.IsNil)
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
	r, err := wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "is out of reach: "+s.dataDir+" cannot be searched by uid 12345 (mode 0700, owner uid 0)")
	c.Check(r.Files[0].Problem, gc.Equals, "is ignored with its directory")
	c.Check(r.Problems(), gc.Equals, 2)

	c.Assert(os.Chmod(s.dataDir, 0o710), gc.IsNil)
	r, err = wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "is out of reach: "+s.dataDir+" cannot be searched by uid 12345 unless it is in group 0 (mode 0710; uid 12345 has no user entry, so its groups are unknown)")

	// Root is never out of reach.
	r, err = wrench.CheckUser(0)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true)

	// A wrench directory that uid may search but not list is fine.
	c.Assert(os.Chmod(s.dataDir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o311), gc.IsNil)
	r, err = wrench.CheckUser(otherUID)
	c.Assert(err, gc.IsNil)
	c.Check(r.OK(), gc.Equals, true)
	c.Check(r.Files[0].Lines[0].Honoured, gc.Equals, true)
}
