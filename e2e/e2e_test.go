//go:build linux

// Package e2e_test is wrench's end-to-end test: a real agent process runs
// as a non-root user, and rules are dropped with the built wrench command
// over a real sshd on 127.0.0.1 as root, as the agent's user and as a third
// user. What the agent fires, and what it refuses, shows who may arm it.
//
// It needs root and openssh-server; without them it is skipped, unless
// WRENCH_E2E=1, which makes it fail instead (CI sets it).
package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	gc "gopkg.in/check.v1"
)

func Test(t *testing.T) {
	found, why := findTools()
	if why != "" {
		if os.Getenv(requiredVar) == "1" {
			t.Fatalf("%s=1 demands the end-to-end test over SSH, but %s", requiredVar, why)
		}
		t.Skip("end-to-end test over SSH skipped: " + why)
	}
	theTools = found
	gc.TestingT(t)
}

// theTools are the programs found by Test before the suite runs.
var theTools tools

// The points the agent asks about each round, as CATEGORY:FEATURE.
const (
	refuseUpgrade = "machine-agent:refuse-upgrade"
	runHook       = "machine-agent:run-hook"
	failLease     = "machine-agent:fail-lease"
	unitRefuse    = "unit-agent:refuse-upgrade"
)

// e2eSuite shares one sshd and one build of the binaries between tests;
// each test gets a fresh data directory and a fresh agent.
type e2eSuite struct {
	agentAcct, otherAcct account
	work                 string // binaries and the tests' directories
	wrenchBin, agentBin  string
	sshd                 *sshServer

	dataDir   string // the agent's, owned by the agent's user
	wrenchDir string // in dataDir, owned by the agent's user, 0755
	stash     string // a directory of the third user's own
	agent     *agentProcess
}

var _ = gc.Suite(&e2eSuite{})

func (s *e2eSuite) SetUpSuite(c *gc.C) {
	s.agentAcct = ensureUser(c, theTools.useradd, agentUser)
	s.otherAcct = ensureUser(c, theTools.useradd, otherUser)

	s.work = workDir(c, "wrench-e2e-")
	bin := filepath.Join(s.work, "bin")
	c.Assert(os.Mkdir(bin, 0o755), gc.IsNil)
	c.Assert(os.Chmod(bin, 0o755), gc.IsNil)
	readModuleSources(c)
	s.wrenchBin = goBuild(c, "github.com/go-wrench/wrench/cmd/wrench", filepath.Join(bin, "wrench"))
	s.agentBin = goBuild(c, "github.com/go-wrench/wrench/e2e/testagent", filepath.Join(bin, "testagent"))

	s.sshd = startSSHD(c, theTools, "root", agentUser, otherUser)
}

func (s *e2eSuite) TearDownSuite(c *gc.C) {
	if s.sshd != nil {
		s.sshd.stop()
	}
	if s.work != "" {
		os.RemoveAll(s.work)
	}
}

func (s *e2eSuite) SetUpTest(c *gc.C) {
	dir, err := os.MkdirTemp(s.work, "test-")
	c.Assert(err, gc.IsNil)
	c.Assert(os.Chmod(dir, 0o755), gc.IsNil)
	s.dataDir = ownedDir(c, filepath.Join(dir, "data"), s.agentAcct)
	s.wrenchDir = ownedDir(c, filepath.Join(s.dataDir, "wrench"), s.agentAcct)
	s.stash = ownedDir(c, filepath.Join(dir, "stash"), s.otherAcct)
	s.agent = startAgent(c, s.agentBin, s.dataDir, s.agentAcct, refuseUpgrade, runHook, failLease, unitRefuse)
}

func (s *e2eSuite) TearDownTest(c *gc.C) {
	if s.agent != nil {
		s.agent.stop(c)
		s.agent = nil
	}
}

// goBuild builds pkg into out, executable by every user.
func goBuild(c *gc.C, pkg, out string) string {
	output, err := exec.Command(theTools.goTool, "build", "-o", out, pkg).CombinedOutput()
	c.Assert(err, gc.IsNil, gc.Commentf("go build %s:\n%s", pkg, output))
	c.Assert(os.Chmod(out, 0o755), gc.IsNil)
	return out
}

// ownedDir makes a directory owned by acct with mode 0755, whatever the
// umask.
func ownedDir(c *gc.C, path string, acct account) string {
	c.Assert(os.Mkdir(path, 0o755), gc.IsNil)
	c.Assert(os.Chmod(path, 0o755), gc.IsNil)
	c.Assert(os.Chown(path, acct.uid, acct.gid), gc.IsNil)
	return path
}

// workDir makes a temporary directory every user can reach, for a suite's
// binaries and data directories.
func workDir(c *gc.C, prefix string) string {
	work, err := os.MkdirTemp("", prefix)
	c.Assert(err, gc.IsNil)
	c.Assert(os.Chmod(work, 0o755), gc.IsNil)
	checkReachable(c, work)
	return work
}

// checkReachable fails unless every user can reach dir: the agent and the
// other users run the binaries in it and write below it.
func checkReachable(c *gc.C, dir string) {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		c.Assert(err, gc.IsNil)
		if fi.Mode().Perm()&0o001 == 0 {
			c.Fatalf("%s (mode %v) cannot be searched by other users, so the agent's user cannot reach %s: set TMPDIR to a directory every user can reach, such as /tmp", d, fi.Mode().Perm(), dir)
		}
		if d == filepath.Dir(d) {
			return
		}
	}
}
