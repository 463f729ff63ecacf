package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"

	gc "gopkg.in/check.v1"
)

// TestAByteOrderMarkIsShown: a file that starts with a byte-order mark
// is honoured as if it had none, and list and check say it has one.
func (s *cmdSuite) TestAByteOrderMarkIsShown(c *gc.C) {
	path := s.writeFile(c, "agent", "\ufeffrefuse-upgrade\nfail-lease 30%on\n")
	r := s.run(c, "", "list")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`agent (%s)
  note: starts with a UTF-8 byte-order mark, which IsActive skips (it is not part of the first feature)
  refuse-upgrade  on
  fail-lease      30%%on
`, path))
	r = s.run(c, "", "list", "--json")
	ok(c, r)
	c.Check(strings.Contains(r.stdout, `"bom": true`), gc.Equals, true, gc.Commentf("%s", r.stdout))

	r = s.run(c, "", "check")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`ok       %[1]s: directory honoured by %[3]s
ok       %[2]s: file honoured by %[3]s
note     %[2]s: starts with a UTF-8 byte-order mark, which IsActive skips (it is not part of the first feature)
ok       %[2]s:1: refuse-upgrade on
ok       %[2]s:2: fail-lease 30%%on
`, s.dir, path, honouredBy()))
	r = s.run(c, "", "check", "--json")
	ok(c, r)
	var report struct {
		Files []struct {
			BOM   bool `json:"bom"`
			Lines []struct {
				Text string `json:"text"`
			} `json:"lines"`
		} `json:"files"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &report), gc.IsNil)
	c.Assert(report.Files, gc.HasLen, 1)
	c.Check(report.Files[0].BOM, gc.Equals, true)
	c.Check(report.Files[0].Lines[0].Text, gc.Equals, "refuse-upgrade")
}

// honouredBy is who check's verdicts are for when no --uid is given: this
// process's uid, or on Windows the current user.
func honouredBy() string {
	if runtime.GOOS == "windows" {
		return "the current user"
	}
	return fmt.Sprintf("uid %d", os.Geteuid())
}
