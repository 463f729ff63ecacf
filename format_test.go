package wrench_test

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

type formatSuite struct{ baseSuite }

var _ = gc.Suite(&formatSuite{})

func (s *formatSuite) TestOriginalFormat(c *gc.C) {
	// The original wrench format: one feature a line, nothing else.
	s.writeFile(c, "machine-agent", "refuse-upgrade\nslow-dial\n")
	c.Check(wrench.IsActive("machine-agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("machine-agent", "slow-dial"), gc.Equals, true)
	c.Check(wrench.IsActive("machine-agent", "other"), gc.Equals, false)
	c.Check(wrench.IsActive("other-agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *formatSuite) TestCommentsBlanksTabsCRLF(c *gc.C) {
	s.writeFile(c, "agent", strings.Join([]string{
		"# a whole-line comment naming commented-out",
		"#commented-out",
		"",
		"   ",
		"\ttabbed\t\t# trailing comment",
		"spaced   on   # trailing comment",
		"crlf\r",
		"crlf-trigger 1*on\r",
		"hash#inside",
		"last-without-newline",
	}, "\n"))
	for _, feature := range []string{"tabbed", "spaced", "crlf", "crlf-trigger", "hash#inside", "last-without-newline"} {
		c.Check(wrench.IsActive("agent", feature), gc.Equals, true, gc.Commentf("feature %q", feature))
	}
	for _, feature := range []string{"commented-out", "#commented-out", "a", "trailing", "comment", "crlf\r", ""} {
		c.Check(wrench.IsActive("agent", feature), gc.Equals, false, gc.Commentf("feature %q", feature))
	}
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, 0)
}

func (s *formatSuite) TestFirstLineNamingAFeatureWins(c *gc.C) {
	s.writeFile(c, "agent", "x off\nx on\ny 0%on\ny on\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	// y's first line does not parse, so it names nothing: the next wins.
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
	path := filepath.Join(s.dir, "agent")
	c.Check(s.logged(loggo.WARNING, path+":2: "), gc.HasLen, 1)
	c.Check(s.logged(loggo.WARNING, path+":3: "), gc.HasLen, 1)
}

func (s *formatSuite) TestHashStartsACommentOnlyAtAFieldStart(c *gc.C) {
	s.writeFile(c, "agent", "a on#x\nb on #x\n")
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "b"), gc.Equals, true)
	c.Check(s.logged(loggo.WARNING, filepath.Join(s.dir, "agent")+":1: "), gc.HasLen, 1)
}

func (s *formatSuite) TestEmptyFile(c *gc.C) {
	s.writeFile(c, "agent", "")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
}

func (s *formatSuite) TestBadLinesAreSkippedAndTheRestCount(c *gc.C) {
	s.writeFile(c, "agent", "good\nbad 30%%on\nalso-good 1*on\nextra on fields\n\xff\xfe\n")
	c.Check(wrench.IsActive("agent", "good"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "also-good"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "bad"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "extra"), gc.Equals, false)
	path := filepath.Join(s.dir, "agent")
	c.Check(s.logged(loggo.WARNING, path+":2: "), gc.HasLen, 1)
	c.Check(s.logged(loggo.WARNING, path+":4: "), gc.HasLen, 1)
	c.Check(s.logged(loggo.WARNING, path+":5: "), gc.HasLen, 1)
}

var badCategories = []string{
	"", ".", "..", ".hidden", "../escape", "a/b", "a\\b", "/etc/passwd",
	"has space", "tab\there", "nul\x00", "ünïcode", "semi;colon", "star*",
	strings.Repeat("x", 65),
}

func (s *formatSuite) TestNoPathLeavesTheWrenchDirectory(c *gc.C) {
	// A file a path could reach from the wrench directory, naming the
	// feature: none of the bad names may read it.
	outside := filepath.Join(s.dataDir, "escape")
	c.Assert(os.WriteFile(outside, []byte("x\n"), 0o644), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(s.dataDir, "passwd"), []byte("x\n"), 0o644), gc.IsNil)
	for _, name := range append(badCategories, "../escape", "../passwd", "..\\escape") {
		c.Check(wrench.IsActive(name, "x"), gc.Equals, false, gc.Commentf("%q", name))
	}
	// The positive control: a valid name reads its file.
	s.writeFile(c, "escape", "x\n")
	c.Check(wrench.IsActive("escape", "x"), gc.Equals, true)
}

func (s *formatSuite) TestBadCategoryLoggedOnceNamingIt(c *gc.C) {
	for i := 0; i < 1000; i++ {
		wrench.IsActive("../escape", "x")
	}
	c.Check(s.logged(loggo.ERROR, `"../escape"`), gc.HasLen, 1)
}

// TestByteOrderMark: a file saved by an editor that starts it with a
// UTF-8 byte-order mark keeps its first rule's name.
func (s *formatSuite) TestByteOrderMark(c *gc.C) {
	s.writeFile(c, "agent", "\ufeffrefuse-upgrade\nother\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "\ufeffrefuse-upgrade"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "other"), gc.Equals, true)
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, 0)

	rules, problems := wrench.ParseFile("f", []byte("\ufeff# comment\r\nx 1*on\r\n"))
	c.Check(problems, gc.HasLen, 0)
	c.Assert(rules, gc.HasLen, 1)
	c.Check(rules[0].Feature, gc.Equals, "x")
	c.Check(rules[0].Line, gc.Equals, 2)

	// Only the very start of the file: a mark elsewhere (a second one, or
	// one at the start of a later line) would rename the feature, so the
	// line is a problem, not a silent miss.
	rules, problems = wrench.ParseFile("f", []byte("\ufeff\ufeffa\nb\n\ufeffc\nd\u200be\n"))
	c.Assert(rules, gc.HasLen, 1)
	c.Check(rules[0].Feature, gc.Equals, "b")
	c.Assert(problems, gc.HasLen, 3)
	c.Check(problems[0].Error(), gc.Equals, `f:1: feature name "\ufeffa" contains the invisible formatting character U+FEFF`)
	c.Check(problems[1].Line, gc.Equals, 3)
	c.Check(problems[2].Error(), gc.Equals, `f:4: feature name "d\u200be" contains the invisible formatting character U+200B`)
}

func (s *formatSuite) TestWriterNamesAreNeverCategories(c *gc.C) {
	c.Check(wrench.CheckCategory(wrench.LockName), gc.NotNil)
	for _, category := range []string{"agent", "a", "x.y-z_1"} {
		name := wrench.TempName(category)
		c.Check(wrench.CheckCategory(name), gc.NotNil, gc.Commentf("temporary name %q", name))
	}
	c.Check(wrench.TempName("agent"), gc.Not(gc.Equals), wrench.TempName("agent"))
}

// TestEditsReadMarksAsIsActive: a byte-order mark is skipped only at the
// very start of a file, and the writer's edits and their checks read it
// so too.
func (s *formatSuite) TestEditsReadMarksAsIsActive(c *gc.C) {
	// Unsetting the first line must not make a later line's mark the
	// file's, which would arm that line.
	s.writeFile(c, "agent", "a\n\ufeffb\n")
	c.Assert(wrench.Unset("agent", "a"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "b"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "\ufeffb"), gc.Equals, false)

	// Two marks: line 1 is bad, so setting the feature it would name
	// adds a line, and the check of that edit reads the file as IsActive.
	s.writeFile(c, "other", "\ufeff\ufeffa on\n")
	c.Assert(wrench.Set("other", "a", "1*on"), gc.IsNil)
	c.Check(sequence("other", "a", 2), gc.Equals, "TF")
}
