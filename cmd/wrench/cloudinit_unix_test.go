//go:build unix

package main_test

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	gc "gopkg.in/check.v1"
)

// cloudInitOrSkip returns the path of cloud-init, or skips the test when
// it cannot run here: unless WRENCH_E2E=1 (as CI sets it), which makes a
// missing cloud-init a failure.
func cloudInitOrSkip(c *gc.C) string {
	path, err := exec.LookPath("cloud-init")
	why := ""
	switch {
	case err != nil:
		why = "cloud-init is not installed (Debian: apt-get install cloud-init; .ci/e2e-setup does it)"
	case os.Geteuid() != 0:
		why = "cloud-init applies write_files as root only"
	}
	if why != "" {
		if os.Getenv("WRENCH_E2E") == "1" {
			c.Fatalf("WRENCH_E2E=1 demands the cloud-init test, but %s", why)
		}
		c.Skip(why)
	}
	return path
}

// TestCloudInitItselfAppliesTheDocument has Debian's cloud-init check the
// document against its schema and then run its write_files module on it,
// as at a machine's first boot; the rules it writes are then honoured.
func (s *cmdSuite) TestCloudInitItselfAppliesTheDocument(c *gc.C) {
	cloudInit := cloudInitOrSkip(c)
	machine := filepath.Join(tempDir(c), "machine-data") // made by cloud-init, as on a new machine
	rules := "refuse-upgrade\nrun-hook 2*on->1*off->repeat   # 2 calls out of 3\n"
	r := runBinary(c, s.bin, rules, "--datadir", machine, "cloud-init", "machine-agent")
	ok(c, r)
	doc := filepath.Join(tempDir(c), "user-data")
	c.Assert(os.WriteFile(doc, []byte(r.stdout), 0o600), gc.IsNil)

	out, err := exec.Command(cloudInit, "schema", "--config-file", doc).CombinedOutput()
	c.Assert(err, gc.IsNil, gc.Commentf("cloud-init schema: %s", out))
	c.Check(string(out), gc.Matches, `(?s).*Valid cloud-config: .*`)

	out, err = exec.Command(cloudInit, "--file", doc, "single", "--name", "write_files", "--frequency", "always").CombinedOutput()
	c.Assert(err, gc.IsNil, gc.Commentf("cloud-init single: %s", out))

	path := filepath.Join(machine, "wrench", "machine-agent")
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil, gc.Commentf("cloud-init said: %s", out))
	c.Check(string(data), gc.Equals, rules)
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	c.Check(fi.Mode(), gc.Equals, os.FileMode(0o644))
	c.Check(fi.Sys().(*syscall.Stat_t).Uid, gc.Equals, uint32(0))

	// And what cloud-init wrote is what an agent honours.
	r = runBinary(c, s.bin, "", "--datadir", machine, "check", "machine-agent")
	ok(c, r)
	c.Check(strings.Contains(r.stdout, "ok       "+path+":1: refuse-upgrade on\n"), gc.Equals, true, gc.Commentf("%s", r.stdout))
	c.Check(strings.Contains(r.stdout, "ok       "+path+":2: run-hook 2*on->1*off->repeat\n"), gc.Equals, true, gc.Commentf("%s", r.stdout))
}

// TestCloudInitAppliesAnOwnerAndAnEmptyFile: a file owned by the agent's
// user (named, as cloud-init looks owners up), and no rules at all, come
// through cloud-init's schema and write_files too.
func (s *cmdSuite) TestCloudInitAppliesAnOwnerAndAnEmptyFile(c *gc.C) {
	cloudInit := cloudInitOrSkip(c)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		c.Skip("no user nobody here: " + err.Error())
	}
	group := "nogroup"
	if _, err := user.LookupGroup(group); err != nil {
		c.Skip("no group nogroup here: " + err.Error())
	}
	for _, t := range []struct{ rules, owner string }{
		{"", ""},
		{"refuse-upgrade\n", "nobody:" + group},
	} {
		machine := filepath.Join(tempDir(c), "machine-data")
		args := []string{"--datadir", machine, "cloud-init"}
		if t.owner != "" {
			args = append(args, "--owner", t.owner)
		}
		r := runBinary(c, s.bin, t.rules, append(args, "agent")...)
		ok(c, r)
		doc := filepath.Join(tempDir(c), "user-data")
		c.Assert(os.WriteFile(doc, []byte(r.stdout), 0o600), gc.IsNil)
		out, err := exec.Command(cloudInit, "schema", "--config-file", doc).CombinedOutput()
		c.Assert(err, gc.IsNil, gc.Commentf("cloud-init schema: %s\n%s", out, r.stdout))
		out, err = exec.Command(cloudInit, "--file", doc, "single", "--name", "write_files", "--frequency", "always").CombinedOutput()
		c.Assert(err, gc.IsNil, gc.Commentf("cloud-init single: %s", out))
		c.Check(string(out), gc.Not(gc.Matches), `(?s).*failed.*`)
		path := filepath.Join(machine, "wrench", "agent")
		data, err := os.ReadFile(path)
		c.Assert(err, gc.IsNil, gc.Commentf("cloud-init said: %s", out))
		c.Check(string(data), gc.Equals, t.rules)
		if t.owner == "" {
			continue
		}
		fi, err := os.Lstat(path)
		c.Assert(err, gc.IsNil)
		c.Check(strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)), gc.Equals, nobody.Uid)
		// The agent running as that user honours it.
		r = runBinary(c, s.bin, "", "--datadir", machine, "check", "--uid", nobody.Uid, "agent")
		ok(c, r)
	}
}
