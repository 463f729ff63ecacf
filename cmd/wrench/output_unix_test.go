//go:build unix

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	gc "gopkg.in/check.v1"
)

// checkMarks are the marks check's text output starts each line with.
var checkMarks = []string{"ok       ", "PROBLEM  ", "absent   ", "ignored  ", "note     "}

// eachLineMarked asserts that every line of check's output starts with a
// mark and holds no escape character: nothing read from the disk started
// a line of its own or sent the terminal a control sequence.
func eachLineMarked(c *gc.C, out string) {
	c.Check(strings.ContainsAny(out, "\x1b\r\t"), gc.Equals, false, gc.Commentf("%q", out))
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		marked := false
		for _, m := range checkMarks {
			marked = marked || strings.HasPrefix(line, m)
		}
		c.Check(marked, gc.Equals, true, gc.Commentf("unmarked line %q in:\n%s", line, out))
	}
}

// Names holding newlines and escape sequences can be made on unix only:
// Windows refuses control characters in file names.

// TestANameCannotForgeALine drops a file whose name holds a newline, a
// line that reads as a verdict, and a terminal escape sequence.
func (s *cmdSuite) TestANameCannotForgeALine(c *gc.C) {
	s.writeFile(c, "agent", "a\n")
	forged := "x\nok       \u2215forged: file honoured by uid 0\x1b[2K\x1b[1A"
	s.writeFile(c, forged, "a\n")

	r := s.run(c, "", "check")
	c.Check(r.code, gc.Equals, 1)
	eachLineMarked(c, r.stdout)
	c.Check(strings.Contains(r.stdout, "\nok       \u2215forged"), gc.Equals, false)
	quoted := strconv.Quote(filepath.Join(s.dir, forged))
	c.Check(strings.Contains(r.stdout, "\nPROBLEM  "+quoted+": is never read: category name "), gc.Equals, true, gc.Commentf("%s", r.stdout))
	// An ordinary name prints as it always did.
	c.Check(strings.Contains(r.stdout, "\nok       "+filepath.Join(s.dir, "agent")+": file honoured by "), gc.Equals, true)

	// JSON has its own escaping, and keeps the name exact.
	r = s.run(c, "", "check", "--json")
	var report jsonReport
	c.Assert(json.Unmarshal([]byte(r.stdout), &report), gc.IsNil)
	c.Assert(report.Files, gc.HasLen, 2)
	c.Check(report.Files[1].Category, gc.Equals, forged)
}

// TestADataDirectoryCannotForgeALine: the path the user gave is printed
// the same way, in list and check alike.
func (s *cmdSuite) TestADataDirectoryCannotForgeALine(c *gc.C) {
	dataDir := filepath.Join(s.dataDir, "d\nagent (/forged)\n  refuse-upgrade  on\x1b[0m")
	dir := filepath.Join(dataDir, "wrench")
	c.Assert(os.MkdirAll(dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(dir, 0o755), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(dir, "agent"), []byte("a on\n"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(filepath.Join(dir, "agent"), 0o644), gc.IsNil)

	r := runBinary(c, s.bin, "", "--datadir", dataDir, "list")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf("agent (%s)\n  a  on\n", strconv.Quote(filepath.Join(dir, "agent"))))

	r = runBinary(c, s.bin, "", "--datadir", dataDir, "check")
	ok(c, r)
	eachLineMarked(c, r.stdout)
	c.Check(strings.Count(r.stdout, "\n"), gc.Equals, 3)
}

// TestAnErrorCannotCarryATerminalEscape: errors name entries from the
// disk too. A directory named like a writer's temporary file, holding a
// newline and colour and cursor escapes, makes clear fail; its error is
// still one line of plain text.
func (s *cmdSuite) TestAnErrorCannotCarryATerminalEscape(c *gc.C) {
	name := ".x\n\x1b[32mok       everything fine\x1b[0m\x1b[1A\u200b.tmp-1"
	s.writeFile(c, "agent", "a\n")
	c.Assert(os.Mkdir(filepath.Join(s.dir, name), 0o755), gc.IsNil)
	r := s.run(c, "", "clear")
	c.Check(r.code, gc.Equals, 1)
	line := strings.TrimSuffix(r.stderr, "\n")
	c.Check(strings.ContainsAny(line, "\n\r\x1b\u200b"), gc.Equals, false, gc.Commentf("%q", r.stderr))
	c.Check(strings.Contains(line, `.x\n\x1b[32mok       everything fine\x1b[0m\x1b[1A\u200b.tmp-1`), gc.Equals, true, gc.Commentf("%q", r.stderr))
}
