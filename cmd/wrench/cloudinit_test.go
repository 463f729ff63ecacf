package main_test

import (
	"encoding/base64"
	"strings"

	gc "gopkg.in/check.v1"
)

// cloudContent is the file content a cloud-init document carries.
func cloudContent(c *gc.C, doc string) string {
	for _, line := range strings.Split(doc, "\n") {
		if encoded, ok := strings.CutPrefix(line, "    content: "); ok {
			content, err := base64.StdEncoding.DecodeString(strings.Trim(encoded, "'"))
			c.Assert(err, gc.IsNil)
			return string(content)
		}
	}
	c.Fatalf("no content in %q", doc)
	return ""
}

func (s *cmdSuite) TestCloudInitPrintsADocumentThatCarriesTheRules(c *gc.C) {
	rules := "refuse-upgrade\nrun-hook 2*on->1*off->repeat   # 2 calls out of 3\n"
	r := runBinary(c, s.bin, rules, "--datadir", "/var/lib/juju", "cloud-init", "--owner", "juju:juju", "machine-agent")
	ok(c, r)
	c.Check(strings.HasPrefix(r.stdout, "#cloud-config\n"), gc.Equals, true, gc.Commentf("%s", r.stdout))
	c.Check(strings.Contains(r.stdout, "\n  - path: \"/var/lib/juju/wrench/machine-agent\"\n    owner: \"juju:juju\"\n    permissions: '0644'\n"), gc.Equals, true, gc.Commentf("%s", r.stdout))
	c.Check(cloudContent(c, r.stdout), gc.Equals, rules)
	// Nothing is written here: the document is for another machine.
	c.Check(entries(c, s.dataDir), gc.HasLen, 0)
}

func (s *cmdSuite) TestCloudInitChecksAsApplyDoes(c *gc.C) {
	failed(c, cloudInit(c, s.bin, "x on#y\n", "agent"), 1,
		`wrench: cloud-init: .*/wrench/agent:1: bad trigger "on#y": .*`)
	failed(c, cloudInit(c, s.bin, "x\nx off\n", "agent"), 1,
		`wrench: cloud-init: .*/wrench/agent:2: feature "x" is already set on line 1, which wins.*`)
	failed(c, cloudInit(c, s.bin, "x\n", "../etc"), 1,
		`wrench: cloud-init: .*/wrench: category name "../etc" starts with "."`)
	failed(c, cloudInit(c, s.bin, "x\n", "--owner", "a b", "agent"), 1,
		`wrench: cloud-init: owner "a b" is not USER or USER:GROUP .*`)
	failed(c, runBinary(c, s.bin, "x\n", "--datadir", "relative", "cloud-init", "agent"), 1,
		`wrench: cloud-init: data directory \(such as /var/lib\): "relative" is not an absolute, clean path on the machine`)
	failed(c, cloudInit(c, s.bin, "x\n", "--owner", "1000", "agent"), 1,
		`wrench: cloud-init: owner "1000" is not USER or USER:GROUP \(names as useradd takes them; cloud-init looks up no numbers\)`)
	failed(c, cloudInit(c, s.bin, ""), 2, `wrench: cloud-init: want \[--owner USER\[:GROUP\]\] CATEGORY, got none .*`)
	failed(c, cloudInit(c, s.bin, strings.Repeat("x\n", 40000), "agent"), 1,
		`wrench: cloud-init: .*/wrench/agent: 65537 bytes of rules, over the 65536 byte limit IsActive reads: nothing written`)
}

// cloudInit runs the cloud-init command for a machine whose data directory
// is /var/lib/juju: a path on that machine, whatever this one runs.
func cloudInit(c *gc.C, bin, stdin string, args ...string) result {
	return runBinary(c, bin, stdin, append([]string{"--datadir", "/var/lib/juju", "cloud-init"}, args...)...)
}

func (s *cmdSuite) TestCloudInitDefaultsToTheMachinesDataDirectory(c *gc.C) {
	// $WRENCH_DATADIR and this platform's default describe this machine,
	// not the one the document arms: only --datadir moves it.
	r := runBinaryEnv(c, s.bin, []string{"WRENCH_DATADIR=" + s.dataDir}, "x\n", "cloud-init", "agent")
	ok(c, r)
	c.Check(strings.Contains(r.stdout, "\n  - path: \"/var/lib/wrench/agent\"\n"), gc.Equals, true, gc.Commentf("%s", r.stdout))
	r = runBinaryEnv(c, s.bin, []string{"WRENCH_DATADIR=" + s.dataDir}, "x\n", "cloud-init", "--datadir", "/srv/agent", "agent")
	ok(c, r)
	c.Check(strings.Contains(r.stdout, "\n  - path: \"/srv/agent/wrench/agent\"\n"), gc.Equals, true, gc.Commentf("%s", r.stdout))
}
