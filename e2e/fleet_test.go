//go:build linux

package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	gc "gopkg.in/check.v1"
)

// fleetSuite runs "wrench --host" against one sshd listening on eight
// loopback addresses, 127.0.0.2 to 127.0.0.9, each a "host" with its own
// data directory named in its ssh:// target, and two more addresses
// where nothing listens. Every host logs in as fleetUser, whose home is
// made afresh for the run: the binary cache the command fills is there.
type fleetSuite struct {
	acct      account
	home      string
	work      string
	wrenchBin string
	proxyBin  string
	sshd      *sshServer
	sudoers   string

	hosts []fleetHost // the eight that listen; the last is untrusted
	down  []string    // targets where nothing listens
}

// fleetHost is one listening host of the suite.
type fleetHost struct {
	addr    string
	target  string // ssh://fleetUser@addr:port/dataDir
	dataDir string
}

const (
	fleetUser = "wrench-fleet"
	fleetHome = "/run/wrench-e2e-fleet-home"
	category  = "machine-agent"
)

var _ = gc.Suite(&fleetSuite{})

func (s *fleetSuite) SetUpSuite(c *gc.C) {
	s.acct = ensureUserWithHome(c, fleetUser, fleetHome)
	c.Assert(os.RemoveAll(fleetHome), gc.IsNil)
	s.home = ownedDir(c, fleetHome, s.acct)

	s.work = workDir(c, "wrench-e2e-fleet-")
	readModuleSources(c)
	s.wrenchBin = goBuild(c, "github.com/go-wrench/wrench/cmd/wrench", filepath.Join(s.work, "wrench"))
	s.proxyBin = goBuild(c, "github.com/go-wrench/wrench/e2e/testproxy", filepath.Join(s.work, "testproxy"))

	// The --sudo test's user runs anything as root without a password,
	// as CI users are commonly set up.
	s.sudoers = "/etc/sudoers.d/wrench-e2e-fleet"
	c.Assert(os.MkdirAll(filepath.Dir(s.sudoers), 0o755), gc.IsNil)
	c.Assert(os.WriteFile(s.sudoers, []byte(fleetUser+" ALL=(root) NOPASSWD: ALL\n"), 0o440), gc.IsNil)

	var addrs []string
	for i := 2; i <= 9; i++ {
		addrs = append(addrs, fmt.Sprintf("127.0.0.%d", i))
	}
	s.sshd = startSSHDOn(c, theTools, addrs, fleetUser)
	s.down = []string{
		fmt.Sprintf("ssh://%s@127.0.0.10:%d/nowhere", fleetUser, s.sshd.port),
		// The suite's port, on an address sshd does not listen on: port
		// 22 there may well be open, when a real sshd listens on
		// 0.0.0.0. Without a data directory, the target is another
		// shape of ssh:// than the first.
		fmt.Sprintf("ssh://%s@127.0.0.11:%d", fleetUser, s.sshd.port),
	}
}

func (s *fleetSuite) TearDownSuite(c *gc.C) {
	if s.sshd != nil {
		s.sshd.stop()
	}
	if s.sudoers != "" {
		os.Remove(s.sudoers)
	}
	if s.work != "" {
		os.RemoveAll(s.work)
	}
	os.RemoveAll(fleetHome)
}

// SetUpTest gives every host a fresh data directory owned by the login
// user; the last host's wrench directory is writable by anyone, which
// IsActive (and so the command) refuses to trust.
func (s *fleetSuite) SetUpTest(c *gc.C) {
	dir, err := os.MkdirTemp(s.work, "test-")
	c.Assert(err, gc.IsNil)
	c.Assert(os.Chmod(dir, 0o755), gc.IsNil)
	s.hosts = nil
	for i, addr := range s.sshd.addrs {
		hostDir := filepath.Join(dir, addr)
		c.Assert(os.Mkdir(hostDir, 0o755), gc.IsNil)
		data := ownedDir(c, filepath.Join(hostDir, "data"), s.acct)
		if i == len(s.sshd.addrs)-1 {
			untrusted := ownedDir(c, filepath.Join(data, "wrench"), s.acct)
			c.Assert(os.Chmod(untrusted, 0o777), gc.IsNil)
		}
		s.hosts = append(s.hosts, fleetHost{
			addr:    addr,
			target:  fmt.Sprintf("ssh://%s@%s:%d%s", fleetUser, addr, s.sshd.port, data),
			dataDir: data,
		})
	}
}

// trusted are the hosts whose wrench directory is fine.
func (s *fleetSuite) trusted() []fleetHost { return s.hosts[:len(s.hosts)-1] }

// untrusted is the host whose wrench directory anyone may write.
func (s *fleetSuite) untrusted() fleetHost { return s.hosts[len(s.hosts)-1] }

// hostArgs are --host flags for each target.
func hostArgs(targets ...string) []string {
	var args []string
	for _, t := range targets {
		args = append(args, "--host", t)
	}
	return args
}

func targetsOf(hosts []fleetHost) []string {
	var t []string
	for _, h := range hosts {
		t = append(t, h.target)
	}
	return t
}

// sshOptions make the command's ssh use the suite's key and trust the
// suite's host key.
func (s *fleetSuite) sshOptions() []string {
	var args []string
	for _, o := range []string{
		"IdentityFile=" + s.sshd.clientKey,
		"IdentitiesOnly=yes",
		"StrictHostKeyChecking=no",
		"UserKnownHostsFile=/dev/null",
		"GlobalKnownHostsFile=/dev/null",
		"LogLevel=ERROR",
		"ConnectTimeout=60",
	} {
		args = append(args, "--ssh-option", o)
	}
	return args
}

// wrench runs the built command here with the suite's ssh options first,
// stdin as given.
func (s *fleetSuite) wrench(c *gc.C, stdin string, args ...string) sshResult {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.wrenchBin, append(s.sshOptions(), args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	c.Assert(ctx.Err(), gc.IsNil, gc.Commentf("wrench %q did not end within %v", args, patience))
	r := sshResult{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		r.status = exit.ExitCode()
	} else {
		c.Assert(err, gc.IsNil)
	}
	return r
}

// comment shows a run's output when a check fails.
func (s *fleetSuite) comment(r sshResult, what ...any) gc.CommentInterface {
	return gc.Commentf("%q: exit %d\nstdout:\n%s\nstderr:\n%s\nsshd:\n%s", what, r.status, r.stdout, r.stderr, s.sshd.log)
}

// fileOf reads the category file on h, "" when there is none.
func fileOf(c *gc.C, h fleetHost) string {
	data, err := os.ReadFile(filepath.Join(h.dataDir, "wrench", category))
	if os.IsNotExist(err) {
		return ""
	}
	c.Assert(err, gc.IsNil)
	return string(data)
}

func (s *fleetSuite) TestOutcomesAndExitCodes(c *gc.C) {
	// Seven trusted hosts and the untrusted one: every one reached, one
	// failed: exit 1, one line each in the order given.
	r := s.wrench(c, "", append(hostArgs(targetsOf(s.hosts)...), "set", category, "run-hook", "2*on->1*off->repeat")...)
	c.Assert(r.status, gc.Equals, 1, s.comment(r))
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	c.Assert(lines, gc.HasLen, len(s.hosts), s.comment(r))
	for i, h := range s.trusted() {
		c.Check(lines[i], gc.Equals, h.target+": ok")
		c.Check(fileOf(c, h), gc.Equals, "run-hook 2*on->1*off->repeat\n")
	}
	bad := s.untrusted()
	c.Check(lines[len(lines)-1], gc.Matches, regexp.QuoteMeta(bad.target)+`: failed: set: refusing to write .*: the wrench directory .* is writable by its group.*`)
	c.Check(fileOf(c, bad), gc.Equals, "")
	c.Check(r.stderr, gc.Matches, `(?s).*changed 7 of 8 targets: `+regexp.QuoteMeta(strings.Join(targetsOf(s.trusted()), " "))+`; failed, not changed: `+regexp.QuoteMeta(bad.target)+`\n`)

	// Add two where nothing listens: exit 3, and they say why.
	port := strconv.Itoa(s.sshd.port)
	all := append(targetsOf(s.hosts), s.down...)
	r = s.wrench(c, "", append(hostArgs(all...), "list", category)...)
	c.Assert(r.status, gc.Equals, 3, s.comment(r))
	c.Check(r.stdout, gc.Matches, `(?s).*\n`+regexp.QuoteMeta(s.down[0])+`: unreachable: ssh: connect to host 127\.0\.0\.10 port \d+: Connection refused\n`+
		regexp.QuoteMeta(s.down[1])+`: unreachable: ssh: connect to host 127\.0\.0\.11 port `+port+`: Connection refused\n$`)
	// A [user@]host target has its port from ssh's options.
	plain := fleetUser + "@127.0.0.11"
	rp := s.wrench(c, "", "--ssh-option", "Port="+port, "--host", plain, "list", category)
	c.Assert(rp.status, gc.Equals, 3, s.comment(rp))
	c.Check(rp.stdout, gc.Equals, plain+": unreachable: ssh: connect to host 127.0.0.11 port "+port+": Connection refused\n")
	// The subcommand's own output is indented under its target.
	c.Check(r.stdout, gc.Matches, `^`+regexp.QuoteMeta(s.hosts[0].target)+`: ok\n  `+category+` \(`+regexp.QuoteMeta(s.hosts[0].dataDir)+`/wrench/`+category+`\)\n    run-hook  2\*on->1\*off->repeat\n(?s).*`)

	// Only the trusted ones: exit 0.
	r = s.wrench(c, "", append(hostArgs(targetsOf(s.trusted())...), "list", category)...)
	c.Check(r.status, gc.Equals, 0, s.comment(r))

	// --json: one object per target, in order, with the subcommand's
	// own JSON.
	r = s.wrench(c, "", append(hostArgs(all...), "--json", "list", category)...)
	c.Assert(r.status, gc.Equals, 3, s.comment(r))
	var got []struct {
		Target   string `json:"target"`
		Outcome  string `json:"outcome"`
		Reason   string `json:"reason"`
		ExitCode *int   `json:"exit_code"`
		Result   []struct {
			Rules []struct{ Feature, Trigger string } `json:"rules"`
		} `json:"result"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &got), gc.IsNil, s.comment(r))
	c.Assert(got, gc.HasLen, len(all))
	for i, g := range got {
		c.Check(g.Target, gc.Equals, all[i])
		switch {
		case i < len(s.trusted()):
			c.Check(g.Outcome, gc.Equals, "ok")
			c.Check(*g.ExitCode, gc.Equals, 0)
			c.Assert(g.Result, gc.HasLen, 1)
			c.Check(g.Result[0].Rules[0].Trigger, gc.Equals, "2*on->1*off->repeat")
		case i == len(s.trusted()):
			// list shows an untrusted directory's files; it has none.
			c.Check(g.Outcome, gc.Equals, "ok")
		default:
			c.Check(g.Outcome, gc.Equals, "unreachable")
			c.Check(g.ExitCode, gc.IsNil)
			c.Check(g.Reason, gc.Matches, ".*Connection refused")
		}
	}
}

// TestChangesSaysWhatStands: a target that failed after writing is
// summed up as changed. A clear that removes a host's file and then
// fails on a directory in its way has changed that host.
func (s *fleetSuite) TestChangesSaysWhatStands(c *gc.C) {
	h := s.trusted()[:3]
	r := s.wrench(c, "", append(hostArgs(h[0].target, h[1].target), "set", category, "run-hook")...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	c.Assert(os.Mkdir(filepath.Join(h[1].dataDir, "wrench", "blocker"), 0o755), gc.IsNil)

	r = s.wrench(c, "", append(hostArgs(h[0].target, h[1].target, h[2].target, s.down[0]), "clear")...)
	c.Assert(r.status, gc.Equals, 3, s.comment(r))
	c.Check(r.stdout, gc.Matches, `(?s).*\n`+regexp.QuoteMeta(h[1].target)+`: failed: clear: .*blocker.*\n.*`, s.comment(r))
	c.Check(fileOf(c, h[0]), gc.Equals, "")
	c.Check(fileOf(c, h[1]), gc.Equals, "")
	c.Check(r.stderr, gc.Equals, "wrench: clear: changed 3 of 4 targets: "+strings.Join(targetsOf(h), " ")+"; not known, run again there: "+s.down[0]+"\n", s.comment(r))

	// Once nothing is left but the directory, the same clear changes
	// nothing there.
	r = s.wrench(c, "", append(hostArgs(h[1].target), "clear")...)
	c.Assert(r.status, gc.Equals, 1, s.comment(r))
	c.Check(r.stderr, gc.Equals, "wrench: clear: changed 0 of 1 targets; failed, not changed: "+h[1].target+"\n", s.comment(r))

	// --json says it per target.
	r = s.wrench(c, "", append(hostArgs(h[0].target, h[1].target, s.down[0]), "--json", "clear")...)
	c.Assert(r.status, gc.Equals, 3, s.comment(r))
	var got []struct {
		Outcome string `json:"outcome"`
		Changed *bool  `json:"changed"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &got), gc.IsNil, s.comment(r))
	c.Assert(got, gc.HasLen, 3)
	yes, no := true, false
	c.Check(got[0].Outcome, gc.Equals, "ok")
	c.Check(got[0].Changed, gc.DeepEquals, &yes)
	c.Check(got[1].Outcome, gc.Equals, "failed")
	c.Check(got[1].Changed, gc.DeepEquals, &no)
	c.Check(got[2].Outcome, gc.Equals, "unreachable")
	c.Check(got[2].Changed, gc.IsNil)
}

// TestUsageErrorsRunNothing: a wrong command line exits 2 and no ssh
// connection is even started (the ProxyCommand records every one).
func (s *fleetSuite) TestUsageErrorsRunNothing(c *gc.C) {
	record := filepath.Join(c.MkDir(), "connections")
	c.Assert(os.Mkdir(record, 0o755), gc.IsNil)
	proxy := []string{"--ssh-option", fmt.Sprintf("ProxyCommand=%s barrier %s 1 %%h %%p", s.proxyBin, record)}
	hosts := hostArgs(targetsOf(s.trusted())...)
	for _, args := range [][]string{
		{"set", category},                            // too few arguments
		{"set", category, "f", "t", "extra"},         // too many
		{"release", category, "f", "many"},           // a count that is not a number
		{"--pick", "9", "list"},                      // more than there are
		{"--pick", "0%", "list"},                     // not a percentage
		{"--seed", "4", "list"},                      // a seed without --pick
		{"--parallel", "0", "list"},                  // no parallelism
		{"--timeout", "-1s", "list"},                 // no time
		{"--any", "set", category, "f"},              // --any on a write
		{"--remote-wrench", "bin/wrench;id", "list"}, // a path that needs quoting
		{"--ssh-option", "novalue", "list"},          // not KEY=VALUE
		{"cloud-init", category},                     // runs here only
		{"nosuchcommand"},
	} {
		r := s.wrench(c, "", append(append(append([]string{}, proxy...), hosts...), args...)...)
		c.Check(r.status, gc.Equals, 2, s.comment(r, args))
		c.Check(r.stdout, gc.Equals, "", gc.Commentf("%q", args))
	}
	for _, target := range []string{"-oProxyCommand=touch /tmp/x", "ssh://-oProxyCommand=x/", "host name", "ssh://h:99999/", s.hosts[0].target + "\n"} {
		r := s.wrench(c, "", append(append(append([]string{}, proxy...), hostArgs(s.hosts[1].target, target)...), "list")...)
		c.Check(r.status, gc.Equals, 2, s.comment(r, target))
	}
	r := s.wrench(c, "", append(append(append([]string{}, proxy...), hostArgs(s.hosts[0].target, s.hosts[0].target)...), "list")...)
	c.Check(r.status, gc.Equals, 2, s.comment(r))
	c.Check(entries(c, record), gc.HasLen, 0)
}

// hostile is a feature name holding everything a shell acts on; wrench
// accepts it as a name (no space, no control character, no leading #).
const hostile = `a'b"c$(touch${IFS}pwned1)` + "`touch${IFS}pwned2`" + `;d|e>f<g&h*i(j)k#l\m!n{o}p[q]r~s` + "\u00e9"

func (s *fleetSuite) TestHostileArgumentsArriveExactly(c *gc.C) {
	hosts := hostArgs(targetsOf(s.trusted())...)
	homeBefore := entries(c, s.home)

	// One rule by set: the feature and the trigger exactly.
	r := s.wrench(c, "", append(hosts, "set", "--", category, hostile, "2*on->1*off->repeat")...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	for _, h := range s.trusted() {
		c.Check(fileOf(c, h), gc.Equals, hostile+" 2*on->1*off->repeat\n")
	}

	// A bad trigger is refused there, and the reason quotes it exactly.
	badTrigger := `$(touch pwned3)'"#` + "`x`"
	r = s.wrench(c, "", append(hosts, "set", category, "f", badTrigger)...)
	c.Assert(r.status, gc.Equals, 1, s.comment(r))
	c.Check(strings.Count(r.stdout, ": failed: set: "), gc.Equals, len(s.trusted()), s.comment(r))
	c.Check(strings.Count(r.stdout, strconv.Quote(badTrigger)), gc.Equals, len(s.trusted()), s.comment(r))

	// A whole file by apply: stdin's bytes, comments, CRLF and all.
	rules := "# $(touch pwned4) 'q' \"qq\" `x` ; > y\r\n" + hostile + " sleep(2s)   # -> * () #\r\nrun-hook 2*on->1*off->repeat\n"
	r = s.wrench(c, rules, append(hosts, "apply", category)...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	for _, h := range s.trusted() {
		c.Check(fileOf(c, h), gc.Equals, rules)
		// Nothing else was made anywhere it could have been.
		c.Check(entries(c, h.dataDir), gc.DeepEquals, []string{"wrench"})
		c.Check(entries(c, filepath.Join(h.dataDir, "wrench")), gc.DeepEquals, []string{fmt.Sprintf(".lock-%d", s.acct.uid), category})
	}
	c.Check(entries(c, s.home), gc.DeepEquals, union(homeBefore, ".cache"))
	for _, dir := range []string{s.home, "/", "/tmp", s.work, filepath.Dir(s.hosts[0].dataDir)} {
		for _, name := range entries(c, dir) {
			c.Check(strings.Contains(name, "pwned"), gc.Equals, false, gc.Commentf("%s/%s", dir, name))
		}
	}
}

// union is names with more added, sorted, without repeats.
func union(names []string, more ...string) []string {
	set := map[string]bool{}
	for _, n := range append(append([]string{}, names...), more...) {
		set[n] = true
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	return sortedStrings(out)
}

func (s *fleetSuite) TestBinaryCopiedCheckedAndReplaced(c *gc.C) {
	data, err := os.ReadFile(s.wrenchBin)
	c.Assert(err, gc.IsNil)
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	cacheDir := filepath.Join(s.home, ".cache", "wrench", digest[:16])
	cached := filepath.Join(cacheDir, "wrench")
	c.Assert(os.RemoveAll(filepath.Join(s.home, ".cache")), gc.IsNil)
	h := s.hosts[0]

	copied := func(args ...string) bool {
		r := s.wrench(c, "", append(append(hostArgs(h.target), "--json"), args...)...)
		c.Assert(r.status, gc.Equals, 0, s.comment(r))
		var got []struct {
			Copied bool `json:"copied"`
		}
		c.Assert(json.Unmarshal([]byte(r.stdout), &got), gc.IsNil)
		c.Assert(got, gc.HasLen, 1)
		return got[0].Copied
	}

	// The target lacks it: copied, private, and the very bytes.
	c.Check(copied("list"), gc.Equals, true)
	fi, err := os.Stat(cacheDir)
	c.Assert(err, gc.IsNil)
	c.Check(fi.Mode().Perm(), gc.Equals, os.FileMode(0o700))
	got, err := os.ReadFile(cached)
	c.Assert(err, gc.IsNil)
	c.Check(sha256.Sum256(got) == sum, gc.Equals, true)

	// Re-used after its digest is checked.
	c.Check(copied("list"), gc.Equals, false)

	// Tampered with: not run, replaced.
	marker := filepath.Join(s.work, "tampered-binary-ran")
	c.Assert(os.WriteFile(cached, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o700), gc.IsNil)
	c.Check(copied("list"), gc.Equals, true)
	_, err = os.Stat(marker)
	c.Check(os.IsNotExist(err), gc.Equals, true, gc.Commentf("the tampered binary ran"))
	got, err = os.ReadFile(cached)
	c.Assert(err, gc.IsNil)
	c.Check(sha256.Sum256(got) == sum, gc.Equals, true)

	// --remote-wrench runs an installed one, and copies nothing.
	c.Assert(os.RemoveAll(filepath.Join(s.home, ".cache")), gc.IsNil)
	c.Check(copied("--remote-wrench", s.wrenchBin, "list"), gc.Equals, false)
	_, err = os.Stat(filepath.Join(s.home, ".cache"))
	c.Check(os.IsNotExist(err), gc.Equals, true)
	r := s.wrench(c, "", append(hostArgs(h.target), "--remote-wrench", "/nonexistent/wrench", "list")...)
	c.Check(r.status, gc.Equals, 1, s.comment(r))
	c.Check(r.stdout, gc.Matches, regexp.QuoteMeta(h.target)+`: failed: no answer from wrench there \(exit status 127\): .*/nonexistent/wrench.*\n`)
}

func (s *fleetSuite) TestPickIsRepeatableWithASeed(c *gc.C) {
	hosts := hostArgs(targetsOf(s.trusted())...)
	picked := func(args ...string) (chosen []string, seed string) {
		r := s.wrench(c, "", append(append(append([]string{}, hosts...), args...), "list")...)
		c.Assert(r.status, gc.Equals, 0, s.comment(r))
		m := regexp.MustCompile(`(?m)^wrench: --pick \S+ --seed (\d+) chose (\d+) of 7 targets: (.*)$`).FindStringSubmatch(r.stderr)
		c.Assert(m, gc.NotNil, s.comment(r))
		chosen = strings.Fields(m[3])
		c.Check(m[2], gc.Equals, strconv.Itoa(len(chosen)))
		// Exactly the chosen ones ran, in the order given.
		var ran []string
		for _, line := range strings.Split(r.stdout, "\n") {
			if t, ok := strings.CutSuffix(line, ": ok"); ok {
				ran = append(ran, t)
			}
		}
		c.Check(ran, gc.DeepEquals, chosen)
		return chosen, m[1]
	}
	first, seed := picked("--pick", "3", "--seed", "42")
	c.Check(first, gc.HasLen, 3)
	again, _ := picked("--pick", "3", "--seed", "42")
	c.Check(again, gc.DeepEquals, first)
	c.Check(seed, gc.Equals, "42")

	// No seed: one is chosen, shown, and repeats the choice.
	one, seed := picked("--pick", "one")
	c.Check(one, gc.HasLen, 1)
	repeated, _ := picked("--pick", "one", "--seed", seed)
	c.Check(repeated, gc.DeepEquals, one)

	// 30% of 7 is 2.1: rounds up to 3.
	third, _ := picked("--pick", "30%", "--seed", "7")
	c.Check(third, gc.HasLen, 3)
}

// TestTargetsRunInParallel: every ssh goes through a ProxyCommand that
// lets no connection through until all eight have started. Run together
// they all pass; run fewer at a time they cannot, and time out.
func (s *fleetSuite) TestTargetsRunInParallel(c *gc.C) {
	targets := append(targetsOf(s.trusted()), fmt.Sprintf("ssh://%s@127.0.0.9:%d%s", fleetUser, s.sshd.port, s.trusted()[0].dataDir))
	barrier := func() []string {
		dir := filepath.Join(c.MkDir(), "barrier")
		c.Assert(os.Mkdir(dir, 0o755), gc.IsNil)
		return []string{"--ssh-option", fmt.Sprintf("ProxyCommand=%s barrier %s %d %%h %%p", s.proxyBin, dir, len(targets))}
	}
	// The same address twice would be one barrier entry: the eighth host
	// is 127.0.0.9 with a trusted host's data directory.
	r := s.wrench(c, "", append(append(barrier(), hostArgs(targets...)...), "list")...)
	c.Check(r.status, gc.Equals, 0, s.comment(r))
	c.Check(strings.Count(r.stdout, ": ok\n"), gc.Equals, len(targets), s.comment(r))

	r = s.wrench(c, "", append(append(barrier(), hostArgs(targets...)...), "--parallel", "7", "--timeout", "3s", "list")...)
	c.Check(r.status, gc.Equals, 3, s.comment(r))
	c.Check(strings.Count(r.stdout, ": unreachable: timed out after 3s\n"), gc.Equals, len(targets), s.comment(r))
}

// TestAnyStopsTheOthers: with --any, the first target to succeed ends the
// run; the others (held forever by the ProxyCommand) are stopped and
// reported so.
func (s *fleetSuite) TestAnyStopsTheOthers(c *gc.C) {
	held := []string{s.hosts[1].addr, s.hosts[2].addr}
	proxy := []string{"--ssh-option", fmt.Sprintf("ProxyCommand=%s hold %s %%h %%p", s.proxyBin, strings.Join(held, ","))}
	targets := targetsOf(s.hosts[:3])
	r := s.wrench(c, "", append(append(proxy, hostArgs(targets...)...), "--any", "list")...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	c.Check(r.stdout, gc.Equals, targets[0]+": ok\n"+
		targets[1]+": stopped: another target met the condition first\n"+
		targets[2]+": stopped: another target met the condition first\n")
}

// TestSudo: the login user cannot write a root-owned data directory; with
// --sudo, wrench runs there as root and can.
func (s *fleetSuite) TestSudo(c *gc.C) {
	h := s.hosts[0]
	c.Assert(os.Chown(h.dataDir, 0, 0), gc.IsNil)
	r := s.wrench(c, "", append(hostArgs(h.target), "set", category, "refuse-upgrade")...)
	c.Check(r.status, gc.Equals, 1, s.comment(r))
	c.Check(r.stdout, gc.Matches, regexp.QuoteMeta(h.target)+`: failed: set: .*permission denied.*\n`)

	r = s.wrench(c, "", append(hostArgs(h.target), "--sudo", "set", category, "refuse-upgrade")...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	c.Check(fileOf(c, h), gc.Equals, "refuse-upgrade\n")
	fi, err := os.Stat(filepath.Join(h.dataDir, "wrench", category))
	c.Assert(err, gc.IsNil)
	c.Check(fileOwner(fi), gc.Equals, 0)
}

// ensureUserWithHome is ensureUser for a user whose home directory is
// home (the test makes the directory itself).
func ensureUserWithHome(c *gc.C, name, home string) account {
	u, err := user.Lookup(name)
	if _, missing := err.(user.UnknownUserError); missing {
		out, addErr := exec.Command(theTools.useradd, "--system", "--user-group",
			"--home-dir", home, "--no-create-home", "--shell", "/bin/sh",
			"--password", "*", name).CombinedOutput()
		u, err = user.Lookup(name)
		if err != nil {
			c.Fatalf("cannot create user %s: %v: %s", name, addErr, out)
		}
	}
	c.Assert(err, gc.IsNil)
	c.Assert(u.HomeDir, gc.Equals, home, gc.Commentf("user %s exists with another home", name))
	uid, err := strconv.Atoi(u.Uid)
	c.Assert(err, gc.IsNil)
	gid, err := strconv.Atoi(u.Gid)
	c.Assert(err, gc.IsNil)
	c.Assert(uid, gc.Not(gc.Equals), 0)
	return account{name: name, uid: uid, gid: gid}
}

// entries lists a directory's names, sorted; none when it is missing.
func entries(c *gc.C, dir string) []string {
	des, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	c.Assert(err, gc.IsNil)
	names := []string{}
	for _, de := range des {
		names = append(names, de.Name())
	}
	return sortedStrings(names)
}

func sortedStrings(names []string) []string {
	slices.Sort(names)
	return names
}

// fileOwner is the uid that owns fi.
func fileOwner(fi os.FileInfo) int {
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// TestStatusAndWaitAcrossTargets: a harness waits until a hook is held on
// any of three servers, whichever it is, then sees which one in status and
// releases it there. Each server runs an agent of its own.
func (s *fleetSuite) TestStatusAndWaitAcrossTargets(c *gc.C) {
	agentBin := goBuild(c, "github.com/go-wrench/wrench/e2e/testagent", filepath.Join(s.work, "testagent"))
	hosts := s.hosts[:3]
	targets := targetsOf(hosts)
	r := s.wrench(c, "", append(hostArgs(targets...), "set", category, "start-hook", "pause")...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))

	var agents []*agentProcess
	for _, h := range hosts {
		a := startAgent(c, agentBin, h.dataDir, s.acct, category+":unused")
		defer a.stop(c)
		agents = append(agents, a)
	}
	// Only the second server's agent reaches the hook, and is held there.
	held := agents[1]
	held.goAsk(c, category+":start-hook")

	args := append(hostArgs(targets...), "--any", "wait", category, "start-hook", "--paused", "1", "--timeout", patience.String())
	r = s.wrench(c, "", args...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	c.Check(r.stdout, gc.Equals, targets[0]+": stopped: another target met the condition first\n"+
		targets[1]+": ok\n"+
		targets[2]+": stopped: another target met the condition first\n")
	held.noneReturned(c)
	// The stopped targets' remote ends ended with their connections.
	deadline := time.Now().Add(patience)
	for len(remoteEnds(c, s.acct)) > 0 {
		c.Assert(time.Now().Before(deadline), gc.Equals, true, gc.Commentf("remote ends still running: %v", remoteEnds(c, s.acct)))
		time.Sleep(20 * time.Millisecond)
	}

	// Status over the three, as JSON: only the second shows a held call,
	// by the agent that is running there.
	r = s.wrench(c, "", append(hostArgs(targets...), "--json", "status", category)...)
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	var report []struct {
		Target  string `json:"target"`
		Outcome string `json:"outcome"`
		Result  struct {
			Categories []struct {
				Processes []struct {
					PID   int `json:"pid"`
					Rules []struct {
						Feature string `json:"feature"`
						Paused  int64  `json:"paused"`
					} `json:"rules"`
				} `json:"processes"`
			} `json:"categories"`
		} `json:"result"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &report), gc.IsNil, s.comment(r))
	c.Assert(report, gc.HasLen, 3)
	for i, t := range report {
		c.Check(t.Target, gc.Equals, targets[i])
		c.Check(t.Outcome, gc.Equals, "ok")
		paused := int64(0)
		var pids []int
		for _, cs := range t.Result.Categories {
			for _, p := range cs.Processes {
				pids = append(pids, p.PID)
				for _, rule := range p.Rules {
					paused += rule.Paused
				}
			}
		}
		if i == 1 {
			c.Check(pids, gc.DeepEquals, []int{held.cmd.Process.Pid}, s.comment(r))
			c.Check(paused, gc.Equals, int64(1), s.comment(r))
		} else {
			c.Check(paused, gc.Equals, int64(0), s.comment(r))
		}
	}

	// Released on that server only, the held call goes on.
	r = s.wrench(c, "", "--host", targets[1], "release", category, "start-hook")
	c.Assert(r.status, gc.Equals, 0, s.comment(r))
	c.Check(held.returned(c), gc.Equals, category+":start-hook")
}

// remoteEnds are the pids of the fleet's remote ends ("wrench __fleet")
// running as acct.
func remoteEnds(c *gc.C, acct account) []int {
	procs, err := os.ReadDir("/proc")
	c.Assert(err, gc.IsNil)
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("\x00__fleet")) {
			continue
		}
		if fi, err := os.Stat(filepath.Join("/proc", p.Name())); err == nil && fileOwner(fi) == acct.uid {
			pids = append(pids, pid)
		}
	}
	return pids
}
