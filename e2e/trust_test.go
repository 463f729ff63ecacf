//go:build linux

package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	gc "gopkg.in/check.v1"
)

// wrench runs the built wrench command over ssh as user, on the agent's
// data directory.
func (s *e2eSuite) wrench(c *gc.C, user string, args ...string) sshResult {
	return s.sshd.run(c, user, append([]string{s.wrenchBin, "--datadir", s.dataDir}, args...)...)
}

// wrenchOK runs the wrench command as user and checks that it succeeded.
func (s *e2eSuite) wrenchOK(c *gc.C, user string, args ...string) {
	r := s.wrench(c, user, args...)
	c.Assert(r.status, gc.Equals, 0, gc.Commentf("wrench %s as %s: %s", strings.Join(args, " "), user, r.stderr))
	c.Assert(r.stderr, gc.Equals, "")
}

// assertRefused checks that a wrench command failed as a refusal should:
// status 1, and one line on stderr that says where.
func (s *e2eSuite) assertRefused(c *gc.C, r sshResult) {
	c.Assert(r.status, gc.Equals, 1, gc.Commentf("stdout %q, stderr %q", r.stdout, r.stderr))
	line := strings.TrimSuffix(r.stderr, "\n")
	c.Assert(line, gc.Not(gc.Equals), "")
	c.Assert(strings.Contains(line, "\n"), gc.Equals, false, gc.Commentf("stderr is not one line: %q", r.stderr))
	c.Assert(strings.Contains(line, s.wrenchDir), gc.Equals, true, gc.Commentf("stderr does not say where: %q", r.stderr))
}

// categoryFile is the path of a category file in the agent's wrench
// directory.
func (s *e2eSuite) categoryFile(category string) string {
	return filepath.Join(s.wrenchDir, category)
}

// ownerOf returns the uid owning path.
func ownerOf(c *gc.C, path string) int {
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// wrenchDirEntries lists the agent's wrench directory.
func (s *e2eSuite) wrenchDirEntries(c *gc.C) []string {
	return dirNames(c, s.wrenchDir)
}

// checkFile runs wrench check as root over ssh, for a process running as
// the agent's user, and returns its verdict on the category file: "" when
// the agent would honour it, the reason otherwise. The exit status must
// agree.
func (s *e2eSuite) checkFile(c *gc.C, category string) string {
	r := s.wrench(c, "root", "check", "--json", "--uid", strconv.Itoa(s.agentAcct.uid), category)
	var report struct {
		UID   int `json:"uid"`
		Files []struct {
			Category string `json:"category"`
			OK       bool   `json:"ok"`
			Problem  string `json:"problem"`
		} `json:"files"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &report), gc.IsNil, gc.Commentf("wrench check --json said %q", r.stdout))
	c.Assert(report.UID, gc.Equals, s.agentAcct.uid)
	c.Assert(report.Files, gc.HasLen, 1)
	c.Assert(report.Files[0].Category, gc.Equals, category)
	c.Assert(report.Files[0].OK, gc.Equals, report.Files[0].Problem == "")
	wantStatus := 0
	if !report.Files[0].OK {
		wantStatus = 1
	}
	c.Assert(r.status, gc.Equals, wantStatus, gc.Commentf("stderr %q", r.stderr))
	return report.Files[0].Problem
}

// ownerReason is why the agent refuses a file owned by uid.
func (s *e2eSuite) ownerReason(uid int) string {
	return fmt.Sprintf("is owned by uid %d, not by uid %d or root", uid, s.agentAcct.uid)
}

// ownerRefusal is what the agent logs about a file owned by uid.
func (s *e2eSuite) ownerRefusal(path string, uid int) string {
	return "refusing " + path + ": " + s.ownerReason(uid)
}

func (s *e2eSuite) TestRootArmsOverSSH(c *gc.C) {
	c.Assert(s.agent.doRound(c), gc.DeepEquals, []string{}, gc.Commentf("nothing is armed yet"))

	s.wrenchOK(c, "root", "set", "machine-agent", "refuse-upgrade")
	s.wrenchOK(c, "root", "set", "machine-agent", "run-hook", "2*on->1*off->repeat")
	c.Assert(ownerOf(c, s.categoryFile("machine-agent")), gc.Equals, 0)

	// The counted trigger crossed ssh and the remote shell intact: two
	// calls out of every three.
	c.Assert(s.agent.doRounds(c, 6), gc.DeepEquals, [][]string{
		{refuseUpgrade, runHook},
		{refuseUpgrade, runHook},
		{refuseUpgrade},
		{refuseUpgrade, runHook},
		{refuseUpgrade, runHook},
		{refuseUpgrade},
	})
	c.Assert(s.agent.logged("INFO", "machine-agent:refuse-upgrade: on fired"), gc.HasLen, 1)
	c.Assert(s.agent.logged("INFO", "machine-agent:run-hook: on fired"), gc.HasLen, 1)
	c.Assert(s.agent.logged("ERROR", ""), gc.HasLen, 0)

	// Root disarms it the same way; run-hook's line is unchanged, so it
	// goes on where it was (at the start of its cycle).
	s.wrenchOK(c, "root", "unset", "machine-agent", "refuse-upgrade")
	c.Assert(s.agent.doRounds(c, 3), gc.DeepEquals, [][]string{{runHook}, {runHook}, {}})
}

func (s *e2eSuite) TestAgentUserArmsOverSSH(c *gc.C) {
	s.wrenchOK(c, "root", "set", "machine-agent", "run-hook")
	c.Assert(s.agent.doRound(c), gc.DeepEquals, []string{runHook})

	// The agent's user edits root's file: the new file is its own, and
	// root's rule is kept in it.
	s.wrenchOK(c, agentUser, "set", "machine-agent", "fail-lease", "1*off->on")
	c.Assert(ownerOf(c, s.categoryFile("machine-agent")), gc.Equals, s.agentAcct.uid)
	content, err := os.ReadFile(s.categoryFile("machine-agent"))
	c.Assert(err, gc.IsNil)
	c.Assert(string(content), gc.Matches, `(?s).*run-hook.*`)
	c.Assert(string(content), gc.Matches, `(?s).*fail-lease\s+1\*off->on.*`)

	c.Assert(s.agent.doRounds(c, 3), gc.DeepEquals, [][]string{
		{runHook},
		{runHook, failLease},
		{runHook, failLease},
	})
	c.Assert(s.agent.logged("ERROR", ""), gc.HasLen, 0)
}

func (s *e2eSuite) TestThirdUserRefusedOverSSH(c *gc.C) {
	s.wrenchOK(c, "root", "set", "machine-agent", "run-hook")
	before, err := os.ReadFile(s.categoryFile("machine-agent"))
	c.Assert(err, gc.IsNil)
	entriesBefore := s.wrenchDirEntries(c)

	// Editing a file that exists.
	s.assertRefused(c, s.wrench(c, otherUser, "set", "machine-agent", "refuse-upgrade"))
	after, err := os.ReadFile(s.categoryFile("machine-agent"))
	c.Assert(err, gc.IsNil)
	c.Assert(string(after), gc.Equals, string(before))
	c.Assert(ownerOf(c, s.categoryFile("machine-agent")), gc.Equals, 0)

	// Making a new one.
	s.assertRefused(c, s.wrench(c, otherUser, "set", "unit-agent", "refuse-upgrade"))
	c.Assert(s.wrenchDirEntries(c), gc.DeepEquals, entriesBefore, gc.Commentf("nothing written, nothing left behind"))
	c.Assert(slices.Contains(entriesBefore, "unit-agent"), gc.Equals, false)

	c.Assert(s.agent.doRounds(c, 3), gc.DeepEquals, [][]string{{runHook}, {runHook}, {runHook}})

	// The very same commands from the agent's user are honoured: the
	// refusal was about who asked.
	s.wrenchOK(c, agentUser, "set", "machine-agent", "refuse-upgrade")
	s.wrenchOK(c, agentUser, "set", "unit-agent", "refuse-upgrade")
	c.Assert(s.agent.doRound(c), gc.DeepEquals, []string{refuseUpgrade, runHook, unitRefuse})
}

func (s *e2eSuite) TestFilePlantedByThirdUserRefused(c *gc.C) {
	// The third user writes a well-formed rule file in a directory of its
	// own, and root moves it into the wrench directory: rename keeps the
	// file's owner.
	stashed := filepath.Join(s.stash, "unit-agent")
	r := s.sshd.runShell(c, otherUser, "printf 'refuse-upgrade\\n' > "+shellQuote(stashed))
	c.Assert(r.status, gc.Equals, 0, gc.Commentf("%s", r.stderr))
	planted := s.categoryFile("unit-agent")
	r = s.sshd.run(c, "root", "mv", stashed, planted)
	c.Assert(r.status, gc.Equals, 0, gc.Commentf("%s", r.stderr))
	c.Assert(ownerOf(c, planted), gc.Equals, s.otherAcct.uid)

	// Never fired, refused once however often it is asked.
	c.Assert(s.agent.doRounds(c, 5), gc.DeepEquals, [][]string{{}, {}, {}, {}, {}})
	c.Assert(s.agent.logged("ERROR", planted), gc.DeepEquals, []string{s.ownerRefusal(planted, s.otherAcct.uid)})

	// The command does not edit it either, even as root: its lines would
	// come out in a file IsActive trusts.
	r = s.wrench(c, "root", "set", "unit-agent", "run-hook")
	s.assertRefused(c, r)
	c.Assert(r.stderr, gc.Matches, fmt.Sprintf(".*%s.* owned by uid %d.*\n", planted, s.otherAcct.uid))
	c.Assert(ownerOf(c, planted), gc.Equals, s.otherAcct.uid)

	// wrench check, asked about the agent's user, agrees with the agent.
	c.Assert(s.checkFile(c, "unit-agent"), gc.Equals, s.ownerReason(s.otherAcct.uid))

	// The same bytes owned by root are honoured: only the owner was wrong.
	r = s.sshd.run(c, "root", "chown", "root:root", planted)
	c.Assert(r.status, gc.Equals, 0, gc.Commentf("%s", r.stderr))
	c.Assert(s.agent.doRound(c), gc.DeepEquals, []string{unitRefuse})
	c.Assert(s.checkFile(c, "unit-agent"), gc.Equals, "")
}

func (s *e2eSuite) TestFileChownedToThirdUserRefused(c *gc.C) {
	s.wrenchOK(c, "root", "set", "unit-agent", "refuse-upgrade")
	c.Assert(s.agent.doRound(c), gc.DeepEquals, []string{unitRefuse})

	// Handing the file to the third user disarms it at once: the agent
	// sees the new owner on its next call.
	path := s.categoryFile("unit-agent")
	r := s.sshd.run(c, "root", "chown", otherUser, path)
	c.Assert(r.status, gc.Equals, 0, gc.Commentf("%s", r.stderr))
	c.Assert(s.agent.doRounds(c, 4), gc.DeepEquals, [][]string{{}, {}, {}, {}})
	c.Assert(s.agent.logged("ERROR", path), gc.DeepEquals, []string{s.ownerRefusal(path, s.otherAcct.uid)})
}
