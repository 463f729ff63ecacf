//go:build unix

package main_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	gc "gopkg.in/check.v1"
)

// runAs runs the command as uid, in the group of the same number.
func (s *cmdSuite) runAs(c *gc.C, uid int, args ...string) result {
	return runCommand(c, s.bin, append([]string{"--datadir", s.dataDir}, args...), func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	})
}

// TestCheckOfADirectoryTheUserMaySearchButNotList: with mode 0311 the
// agent's user can reach its files (IsActive only looks up the categories
// it is asked), so neither check --uid nor check run as that user calls
// it a problem; the user's own check says it could not list it.
func (s *cmdSuite) TestCheckOfADirectoryTheUserMaySearchButNotList(c *gc.C) {
	needRoot(c)
	agent := s.writeFile(c, "agent", "a\n")
	c.Assert(os.Chmod(s.dir, 0o311), gc.IsNil)
	honoured := fmt.Sprintf(`ok       %[1]s: directory honoured by uid 12345
ok       %[2]s: file honoured by uid 12345
ok       %[2]s:1: a on
`, s.dir, agent)

	r := s.run(c, "", "check", "--uid", "12345")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, honoured)

	r = s.runAs(c, otherUID, "check", "agent")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, honoured)

	r = s.runAs(c, otherUID, "check")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`ok       %[1]s: directory honoured by uid 12345
note     %[1]s: cannot be listed by this process: permission denied; name the categories to check them (IsActive needs only to search it)
`, s.dir))
	r = s.runAs(c, otherUID, "check", "--json")
	ok(c, r)
	c.Check(strings.Contains(r.stdout, `"unlisted": "cannot be listed by this process: permission denied; name the categories to check them"`), gc.Equals, true, gc.Commentf("%s", r.stdout))

	// list of a named category works the same way.
	r = s.runAs(c, otherUID, "list", "agent")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf("agent (%s)\n  a  on\n", agent))
}

// TestCheckOfADataDirectoryTheUserCannotSearch: the wrench directory and
// its file are fine, but the agent's user cannot get to them.
func (s *cmdSuite) TestCheckOfADataDirectoryTheUserCannotSearch(c *gc.C) {
	needRoot(c)
	agent := s.writeFile(c, "agent", "a\n")
	c.Assert(os.Chmod(s.dataDir, 0o700), gc.IsNil)
	refused := fmt.Sprintf(`PROBLEM  %[1]s: is out of reach: %[2]s cannot be searched by uid 12345 (mode 0700, owner uid 0)
PROBLEM  %[3]s: is ignored with its directory
ignored  %[3]s:1: a on (not honoured: its file is refused)
`, s.dir, s.dataDir, agent)

	r := s.run(c, "", "check", "--uid", "12345")
	c.Check(r.code, gc.Equals, 1)
	c.Check(r.stdout, gc.Equals, refused)
	oneLine(c, r.stderr, `wrench: check: 2 problems found`)

	// The user itself cannot look into the directory at all.
	r = s.runAs(c, otherUID, "check")
	c.Check(r.code, gc.Equals, 1)
	c.Check(r.stdout, gc.Equals, strings.SplitAfter(refused, "\n")[0])

	// Root's own check is content.
	ok(c, s.run(c, "", "check"))
}
