package wrench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/juju/errors"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// writerSuite tests the Go API that writes rules, observing the results
// through the disk and through IsActive.
type writerSuite struct {
	baseSuite
}

var _ = gc.Suite(&writerSuite{})

// noWrenchDir points wrench at a fresh data directory without a wrench
// directory in it. (Removing the one there is not portable: wine 8 fails
// os.RemoveAll.)
func (s *baseSuite) noWrenchDir(c *gc.C) {
	s.dataDir = tempDir(c)
	s.dir = filepath.Join(s.dataDir, "wrench")
	wrench.SetDataDir(s.dataDir)
}

// content is the category file's content, or "<none>" when it is missing.
func (s *writerSuite) content(c *gc.C, category string) string {
	data, err := os.ReadFile(filepath.Join(s.dir, category))
	if os.IsNotExist(err) {
		return "<none>"
	}
	c.Assert(err, gc.IsNil)
	return string(data)
}

// entries lists the wrench directory, so a test sees every file a write
// left behind (temporary files included).
func (s *writerSuite) entries(c *gc.C) []string {
	return dirEntries(c, s.dir)
}

func dirEntries(c *gc.C, dir string) []string {
	des, err := os.ReadDir(dir)
	c.Assert(err, gc.IsNil)
	names := []string{}
	for _, de := range des {
		names = append(names, de.Name())
	}
	sort.Strings(names)
	return names
}

// unchanged asserts that the file at path is still the one fi described:
// the same file (not rewritten by a rename) with the same content.
func unchanged(c *gc.C, path string, fi os.FileInfo, content string) {
	now, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	c.Check(os.SameFile(fi, now), gc.Equals, true, gc.Commentf("%s was replaced", path))
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, content)
}

func lstat(c *gc.C, path string) os.FileInfo {
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	return fi
}

func (s *writerSuite) TestSetArmsAndUnsetDisarms(c *gc.C) {
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	c.Assert(wrench.Set("agent", "refuse-upgrade", ""), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	c.Assert(wrench.Set("agent", "refuse-upgrade", "off"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	c.Assert(wrench.Set("agent", "refuse-upgrade", "2*on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	// Setting the same rule again keeps its count: it stays spent. A
	// changed line re-arms it.
	c.Assert(wrench.Set("agent", "refuse-upgrade", "2*on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Assert(wrench.Set("agent", "refuse-upgrade", "1*on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	c.Assert(wrench.Unset("agent", "refuse-upgrade"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.content(c, "agent"), gc.Equals, "")
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})
}

func (s *writerSuite) TestSetKeepsEveryOtherLine(c *gc.C) {
	before := "# machine agent\n\nfail-lease   30%on   # flaky lease\r\nbad on#x  # typo\n  slow sleep(2s)\n"
	s.writeFile(c, "agent", before)
	c.Assert(wrench.Set("agent", "fail-lease", "100%on"), gc.IsNil)
	c.Assert(wrench.Set("agent", "new", "1*on"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals,
		"# machine agent\n\nfail-lease   100%on   # flaky lease\r\nbad on#x  # typo\n  slow sleep(2s)\nnew 1*on\n")
	c.Check(wrench.IsActive("agent", "fail-lease"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "new"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "new"), gc.Equals, false)
}

// TestEditsDoWhatTheySay: whatever a file keeps (a comment that is not
// valid UTF-8, a last line ending in a lone CR, a byte-order mark), after
// Set or Unset returns nil IsActive answers as asked.
func (s *writerSuite) TestEditsDoWhatTheySay(c *gc.C) {
	// The old line's comment would keep the rewritten line invalid.
	s.writeFile(c, "agent", "keep on # ok\na off # caf\xe9\n")
	c.Assert(wrench.Set("agent", "a", "on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)
	c.Check(s.content(c, "agent"), gc.Equals, "keep on # ok\na on\n")

	// A last line "feat\r" is feat's line: set replaces it rather than
	// adding a line it shadows, and unset removes it.
	s.writeFile(c, "agent", "keep on\nfeat\r")
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, true)
	c.Assert(wrench.Set("agent", "feat", "off"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, false)
	c.Check(s.content(c, "agent"), gc.Equals, "keep on\nfeat off\r")

	s.writeFile(c, "agent", "keep on\nfeat\r")
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, true)
	c.Assert(wrench.Unset("agent", "feat"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)
	c.Check(s.content(c, "agent"), gc.Equals, "keep on\n")

	// A new line after a last line ending in a lone CR is a line of its
	// own.
	s.writeFile(c, "agent", "keep on\r")
	c.Assert(wrench.Set("agent", "new", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "new"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)

	// A byte-order mark stays where it is, and the first line is the
	// feature after it: set edits that line in place rather than adding
	// a second line for the feature.
	s.writeFile(c, "agent", "\ufeffrefuse-upgrade off # first\nkeep on\n")
	c.Assert(wrench.Set("agent", "refuse-upgrade", "2*on"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "\ufeffrefuse-upgrade 2*on # first\nkeep on\n")
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)
	c.Assert(wrench.Unset("agent", "refuse-upgrade"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "\ufeffkeep on\n")
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)

	// And IsActive reads the edited first line after the mark.
	s.writeFile(c, "agent", "\ufeffrefuse-upgrade off\n")
	c.Assert(wrench.Set("agent", "refuse-upgrade", "on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Assert(wrench.Set("agent", "refuse-upgrade", "off"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *writerSuite) TestSetWritesTheCanonicalTrigger(c *gc.C) {
	c.Assert(wrench.Set("agent", "a", "030%2*return"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a 30%2*return\n")
}

func (s *writerSuite) TestSetRefusesWhatIsActiveWouldSkip(c *gc.C) {
	path := s.writeFile(c, "agent", "a on # keep me\n")
	fi := lstat(c, path)
	for i, t := range []struct {
		feature, trigger, err string
	}{
		{"b", "on#x", `.*[/\\]agent: bad trigger "on#x": term "on#x": unknown action "on#x" .*`},
		{"b", "#x", `.*[/\\]agent: bad trigger "#x": a trigger is one field.*`},
		{"b", "sleep", `.*[/\\]agent: bad trigger "sleep": .*sleep needs a duration.*`},
		{"b", "on->repeat", `.*[/\\]agent: bad trigger "on->repeat": .*`},
		{"b", "on # comment", `.*[/\\]agent: bad trigger "on # comment": a trigger is one field.*`},
		{"b", "on\nc", `.*[/\\]agent: bad trigger "on\\nc": a trigger is one field.*`},
		{"b", "0%on", `.*[/\\]agent: bad trigger "0%on": .*`},
		{"#b", "on", `.*[/\\]agent: feature name "#b" starts with "#".*`},
		{"b c", "on", `.*[/\\]agent: feature name "b c" contains a space.*`},
		{"", "on", `.*[/\\]agent: empty feature name`},
	} {
		c.Logf("test %d: %q %q", i, t.feature, t.trigger)
		err := wrench.Set("agent", t.feature, t.trigger)
		c.Check(err, gc.ErrorMatches, t.err)
		unchanged(c, path, fi, "a on # keep me\n")
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{"agent"})
}

func (s *writerSuite) TestBadCategoryIsRefused(c *gc.C) {
	s.noWrenchDir(c)
	for _, category := range []string{"", "../etc", "a/b", ".hidden", "a b", strings.Repeat("x", 65), ".lock"} {
		c.Logf("category %q", category)
		c.Check(wrench.Set(category, "a", "on"), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Apply(category, []byte("a\n")), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Unset(category, "a"), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Release(category, "a", 1), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Clear(category), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
	}
	// Nothing was created, not even the wrench directory.
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestSetCreatesTheDirectory(c *gc.C) {
	s.noWrenchDir(c)
	c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
}

func (s *writerSuite) TestMissingDataDirIsAnError(c *gc.C) {
	missing := filepath.Join(s.dataDir, "typo")
	wrench.SetDataDir(missing)
	c.Check(wrench.Set("agent", "a", ""), gc.ErrorMatches, `cannot create .*[/\\]typo[/\\]wrench: data directory .*[/\\]typo does not exist`)
	c.Check(wrench.Apply("agent", nil), gc.ErrorMatches, `cannot create .*[/\\]typo[/\\]wrench: data directory .*[/\\]typo does not exist`)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{"wrench"})
}

func (s *writerSuite) TestUnsetOfWhatIsNotThereWritesNothing(c *gc.C) {
	path := s.writeFile(c, "agent", "a\n")
	fi := lstat(c, path)
	c.Assert(wrench.Unset("agent", "b"), gc.IsNil)
	unchanged(c, path, fi, "a\n")

	c.Assert(wrench.Unset("other", "b"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})

	s.noWrenchDir(c)
	c.Assert(wrench.Unset("agent", "b"), gc.IsNil)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestApply(c *gc.C) {
	s.writeFile(c, "agent", "old on\n")
	rules := "# from CI\nrefuse-upgrade\nrun-hook 2*on->1*off->repeat # 2 of 3\n"
	c.Assert(wrench.Apply("agent", []byte(rules)), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, rules)
	c.Check(wrench.IsActive("agent", "old"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "run-hook"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "run-hook"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "run-hook"), gc.Equals, false)

	c.Assert(wrench.Apply("agent", nil), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *writerSuite) TestApplyRefusesAnyBadLine(c *gc.C) {
	path := s.writeFile(c, "agent", "old on\n")
	fi := lstat(c, path)
	for i, t := range []struct {
		rules, err string
	}{
		{"a\nb on#x\n", `.*[/\\]agent:2: bad trigger "on#x": .*: nothing written`},
		{"a\nb on#x\nc bogus\nd 1*\n", `.*[/\\]agent:2: bad trigger "on#x": .* \(and 2 more problems\): nothing written`},
		{"a\n# fine\na off\n", `.*[/\\]agent:3: feature "a" is already set on line 1, which wins: nothing written`},
		{"a on extra\n", `.*[/\\]agent:1: extra field "extra" .*`},
		{"a\n\xff\n", `.*[/\\]agent:2: line is not valid UTF-8: nothing written`},
		{strings.Repeat("#\n", wrench.MaxFileSize/2+1), `.*[/\\]agent: 65538 bytes of rules, over the 65536 byte limit IsActive reads: nothing written`},
	} {
		c.Logf("test %d", i)
		c.Check(wrench.Apply("agent", []byte(t.rules)), gc.ErrorMatches, t.err)
		unchanged(c, path, fi, "old on\n")
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{"agent"})
}

func (s *writerSuite) TestSetRefusesToGrowOverTheLimit(c *gc.C) {
	big := strings.Repeat("#", wrench.MaxFileSize-10) + "\n"
	path := s.writeFile(c, "agent", big)
	fi := lstat(c, path)
	c.Check(wrench.Set("agent", "feature", "on"), gc.ErrorMatches, `.*[/\\]agent would be 65538 bytes, over the 65536 byte limit IsActive reads: nothing written`)
	unchanged(c, path, fi, big)
}

func (s *writerSuite) TestClear(c *gc.C) {
	for _, name := range []string{"a", "b", "c", "not a category", ".hidden"} {
		s.writeFile(c, name, "x\n")
	}
	leftover := wrench.TempName("a")
	s.writeFile(c, leftover, "half a fi")

	c.Assert(wrench.Clear("a", "missing"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{leftover, ".hidden", wrench.LockName, "b", "c", "not a category"})
	c.Check(wrench.IsActive("a", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("b", "x"), gc.Equals, true)

	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{".hidden", wrench.LockName, "not a category"})
	c.Check(wrench.IsActive("b", "x"), gc.Equals, false)

	s.noWrenchDir(c)
	c.Check(wrench.Clear(), gc.IsNil)
	c.Check(wrench.Clear("a"), gc.IsNil)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestClearRefusesADirectory(c *gc.C) {
	c.Assert(os.Mkdir(filepath.Join(s.dir, "agent"), 0o755), gc.IsNil)
	c.Check(wrench.Clear("agent"), gc.ErrorMatches, `cannot remove .*[/\\]wrench[/\\]agent: it is a directory, not a category file \(remove it by hand\)`)
	// Set and the like say the same, not that clear would remove it.
	c.Check(wrench.Set("agent", "a", "on"), gc.ErrorMatches, `.*[/\\]agent is a directory, not a regular file, so IsActive .* would not trust it: refusing to edit it \(remove the directory by hand\)`)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, `.*\(remove the directory by hand\)`)
}

// TestClearRemovesEveryFileItCan: directories where category files would
// be, whatever their place in the directory's order, stop nothing: every
// file goes, then every directory is reported.
func (s *writerSuite) TestClearRemovesEveryFileItCan(c *gc.C) {
	for _, name := range []string{"0first", "zzlast"} {
		c.Assert(os.Mkdir(filepath.Join(s.dir, name), 0o755), gc.IsNil)
	}
	for _, name := range []string{"b", "m", "y"} {
		s.writeFile(c, name, "x\n")
		c.Check(wrench.IsActive(name, "x"), gc.Equals, true)
	}
	dirError := func(name string) string {
		return `cannot remove .*[/\\]wrench[/\\]` + name + `: it is a directory, not a category file \(remove it by hand\)`
	}
	c.Check(wrench.Clear(), gc.ErrorMatches, `2 entries not cleared: `+dirError("0first")+`; `+dirError("zzlast"))
	for _, name := range []string{"b", "m", "y"} {
		c.Check(wrench.IsActive(name, "x"), gc.Equals, false, gc.Commentf("category %s", name))
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "0first", "zzlast"})

	// Named categories too: a directory first stops nothing.
	for _, name := range []string{"b", "m"} {
		s.writeFile(c, name, "x\n")
	}
	c.Check(wrench.Clear("zzlast", "b", "0first", "m"), gc.ErrorMatches, `2 entries not cleared: `+dirError("zzlast")+`; `+dirError("0first"))
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "0first", "zzlast"})
}

// TestAMissingDataDirIsAnErrorForEveryone: a mistyped data directory is
// never "nothing is armed".
func (s *writerSuite) TestAMissingDataDirIsAnErrorForEveryone(c *gc.C) {
	for _, t := range []struct{ dataDir, err string }{
		{filepath.Join(s.dataDir, "typo"), `data directory .*[/\\]typo does not exist`},
		{filepath.Join(s.dataDir, "typo", "deeper"), `data directory .*[/\\]typo[/\\]deeper does not exist`},
		{s.writeFile(c, "a-file", ""), `data directory .*[/\\]a-file is not a directory`},
	} {
		c.Logf("data directory %s", t.dataDir)
		wrench.SetDataDir(t.dataDir)
		_, err := wrench.List()
		c.Check(err, gc.ErrorMatches, t.err)
		_, err = wrench.List("agent")
		c.Check(err, gc.ErrorMatches, t.err)
		_, err = wrench.Check()
		c.Check(err, gc.ErrorMatches, t.err)
		c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, t.err)
		c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, t.err)
		c.Check(wrench.Clear(), gc.ErrorMatches, t.err)
		c.Check(wrench.Clear("agent"), gc.ErrorMatches, t.err)
		c.Check(wrench.Set("agent", "a", ""), gc.ErrorMatches, `cannot create .*: `+t.err+`|cannot create .*: not a directory`)
	}
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{"wrench"})

	// A data directory without a wrench directory is fine: nothing armed.
	s.noWrenchDir(c)
	files, err := wrench.List()
	c.Check(err, gc.IsNil)
	c.Check(files, gc.HasLen, 0)
	report, err := wrench.Check()
	c.Check(err, gc.IsNil)
	c.Check(report.OK(), gc.Equals, true)
	c.Check(wrench.Unset("agent", "a"), gc.IsNil)
	c.Check(wrench.Clear(), gc.IsNil)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestRelease(c *gc.C) {
	c.Assert(wrench.Set("agent", "start-hook", "pause"), gc.IsNil)
	c.Assert(wrench.Release("agent", "start-hook", 2), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 2*off->pause\n")
	// Releases add up.
	c.Assert(wrench.Release("agent", "start-hook", 1), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 3*off->pause\n")
	// Paused again by hand, the sum starts again.
	c.Assert(wrench.Set("agent", "start-hook", "pause"), gc.IsNil)
	c.Assert(wrench.Release("agent", "start-hook", 1), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 1*off->pause\n")
}

func (s *writerSuite) TestReleaseNeedsAPausedRule(c *gc.C) {
	path := s.writeFile(c, "agent", "a on\nb 3*on->pause # held\n")
	fi := lstat(c, path)
	c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, `.*[/\\]agent:1: rule "on" for "a" has no pause, so there is nothing to release`)
	c.Check(wrench.Release("agent", "c", 1), gc.ErrorMatches, `.*[/\\]agent: no rule for "c", so there is nothing to release`)
	c.Check(wrench.Release("agent", "b", 0), gc.ErrorMatches, `cannot release 0 calls: the count must be at least 1`)
	c.Check(wrench.Release("agent", "b", -2), gc.ErrorMatches, `cannot release -2 calls: the count must be at least 1`)
	c.Check(wrench.Release("other", "b", 1), gc.ErrorMatches, `.*[/\\]other: no rule for "b", so there is nothing to release`)
	unchanged(c, path, fi, "a on\nb 3*on->pause # held\n")

	c.Assert(wrench.Release("agent", "b", 5), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a on\nb 5*off->pause # held\n")

	s.noWrenchDir(c)
	c.Check(wrench.Release("agent", "b", 1), gc.ErrorMatches, `.*[/\\]agent: no rule for "b", so there is nothing to release`)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestAFailedWriteLeavesTheOldFile(c *gc.C) {
	const before = "a on # original\nb pause\n"
	path := s.writeFile(c, "agent", before)
	fi := lstat(c, path)
	for _, step := range []string{"create", "rename"} {
		restore := wrench.SetWriteFault(func(at string) error {
			if at == step {
				return errors.New("disk on fire")
			}
			return nil
		})
		for i, write := range []func() error{
			func() error { return wrench.Set("agent", "a", "off") },
			func() error { return wrench.Set("agent", "c", "") },
			func() error { return wrench.Unset("agent", "a") },
			func() error { return wrench.Release("agent", "b", 1) },
			func() error { return wrench.Apply("agent", []byte("z\n")) },
		} {
			c.Logf("%s fails, write %d", step, i)
			c.Check(write(), gc.ErrorMatches, `cannot (create a temporary file for|rename .* to) .*[/\\]agent: disk on fire`)
			unchanged(c, path, fi, before)
			c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})
		}
		restore()
	}
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
}

func (s *writerSuite) TestConcurrentSetsLoseNothing(c *gc.C) {
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- wrench.Set("agent", fmt.Sprintf("feature-%d", i), "on")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.Check(err, gc.IsNil)
	}
	rules, problems := wrench.ParseFile("agent", []byte(s.content(c, "agent")))
	c.Check(problems, gc.HasLen, 0)
	c.Check(rules, gc.HasLen, writers)
	for i := range writers {
		c.Check(wrench.IsActive("agent", fmt.Sprintf("feature-%d", i)), gc.Equals, true)
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})
}
