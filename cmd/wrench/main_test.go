package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
	"github.com/go-wrench/wrench/internal/testdir"
)

func Test(t *testing.T) { gc.TestingT(t) }

// failureGuard bounds every run of the command, so that one that blocks
// (on a FIFO, say) fails the test instead of hanging it. Nothing is timed
// against it.
const failureGuard = time.Minute

// cmdSuite builds the wrench command once and runs it as a user would.
type cmdSuite struct {
	bin          string // the command
	binNoWrench  string // the command built with the nowrench tag
	buildDir     string
	dataDir, dir string // a fresh data directory per test, and its wrench directory
}

var _ = gc.Suite(&cmdSuite{})

func (s *cmdSuite) SetUpSuite(c *gc.C) {
	// The tests say which data directory each run uses.
	os.Unsetenv("WRENCH_DATADIR")
	// Where the tests cannot build (under wine, say), prebuilt commands
	// may be given instead.
	s.bin, s.binNoWrench = os.Getenv("WRENCH_TEST_COMMAND"), os.Getenv("WRENCH_TEST_COMMAND_NOWRENCH")
	if s.bin != "" {
		return
	}
	// go test puts its own toolchain's bin first on PATH.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		c.Skip("no go command to build wrench with (as under wine), and no WRENCH_TEST_COMMAND")
	}
	s.buildDir = tempDir(c)
	build := func(name string, flags ...string) string {
		bin := filepath.Join(s.buildDir, name)
		if runtime.GOOS == "windows" {
			bin += ".exe"
		}
		args := append(append([]string{"build", "-o", bin}, flags...), ".")
		out, err := exec.Command(goCmd, args...).CombinedOutput()
		c.Assert(err, gc.IsNil, gc.Commentf("go build: %s", out))
		return bin
	}
	s.bin = build("wrench")
	s.binNoWrench = build("wrench-nowrench", "-tags", "nowrench")
}

func (s *cmdSuite) SetUpTest(c *gc.C) {
	s.dataDir = tempDir(c)
	s.dir = filepath.Join(s.dataDir, "wrench")
}

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the command on the test's data directory.
func (s *cmdSuite) run(c *gc.C, stdin string, args ...string) result {
	return runBinary(c, s.bin, stdin, append([]string{"--datadir", s.dataDir}, args...)...)
}

func runBinary(c *gc.C, bin, stdin string, args ...string) result {
	return runBinaryEnv(c, bin, nil, stdin, args...)
}

// runBinaryEnv is runBinary with env added to the environment.
func runBinaryEnv(c *gc.C, bin string, env []string, stdin string, args ...string) result {
	return runCommand(c, bin, args, func(cmd *exec.Cmd) {
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = strings.NewReader(stdin)
	})
}

// runCommand runs bin with args, set up by prepare, and returns what it
// did; it fails the test if the command does not end in time.
func runCommand(c *gc.C, bin string, args []string, prepare func(*exec.Cmd)) result {
	ctx, cancel := context.WithTimeout(context.Background(), failureGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	prepare(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	c.Assert(ctx.Err(), gc.IsNil, gc.Commentf("wrench %q did not finish", args))
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		c.Assert(err, gc.IsNil)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok asserts that a run succeeded quietly on stderr.
func ok(c *gc.C, r result) {
	c.Check(r.code, gc.Equals, 0, gc.Commentf("stderr: %s", r.stderr))
	c.Check(r.stderr, gc.Equals, "")
}

// failed asserts the exit status, no output on stdout, and one line on
// stderr matching pattern.
func failed(c *gc.C, r result, code int, pattern string) {
	c.Check(r.code, gc.Equals, code, gc.Commentf("stderr: %s", r.stderr))
	c.Check(r.stdout, gc.Equals, "")
	oneLine(c, r.stderr, pattern)
}

// oneLine asserts that text is one line matching pattern.
func oneLine(c *gc.C, text, pattern string) {
	c.Check(strings.Count(text, "\n"), gc.Equals, 1, gc.Commentf("not one line: %q", text))
	c.Check(strings.TrimSuffix(text, "\n"), gc.Matches, pattern)
}

// content is a category file's content, or "<none>".
func (s *cmdSuite) content(c *gc.C, category string) string {
	data, err := os.ReadFile(filepath.Join(s.dir, category))
	if os.IsNotExist(err) {
		return "<none>"
	}
	c.Assert(err, gc.IsNil)
	return string(data)
}

// writeFile writes a category file directly, with mode 0644.
func (s *cmdSuite) writeFile(c *gc.C, category, content string) string {
	if err := os.Mkdir(s.dir, 0o755); err != nil && !os.IsExist(err) {
		c.Assert(err, gc.IsNil)
	}
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	path := filepath.Join(s.dir, category)
	c.Assert(os.WriteFile(path, []byte(content), 0o644), gc.IsNil)
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	return path
}

// lockFile is the name of the lock file the command leaves in a wrench
// directory this process's user owns: ".lock-UID", or ".lock" on Windows,
// which has no uids.
func lockFile() string {
	if uid := os.Geteuid(); uid >= 0 {
		return fmt.Sprintf(".lock-%d", uid)
	}
	return ".lock"
}

func entries(c *gc.C, dir string) []string {
	des, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	c.Assert(err, gc.IsNil)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	sort.Strings(names)
	return names
}

func (s *cmdSuite) TestHelp(c *gc.C) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--datadir", "/x", "--help"}} {
		r := runBinary(c, s.bin, "", args...)
		ok(c, r)
		c.Check(r.stdout, gc.Matches, `(?s)Usage: wrench \[--datadir DIR\] COMMAND.*`)
		for _, cmd := range []string{"set", "unset", "release", "apply", "clear", "list", "check", "help"} {
			c.Check(r.stdout, gc.Matches, `(?s).*\n  `+cmd+` .*`, gc.Commentf("%s missing", cmd))
		}
		c.Check(r.stdout, gc.Matches, `(?s).*--datadir DIR.*default `+regexp.QuoteMeta(wrench.DataDir())+`.*`)
	}
	for _, cmd := range []string{"set", "unset", "release", "apply", "clear", "list", "check", "help"} {
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {"help", cmd}, {cmd, "agent", "--help"}} {
			r := runBinary(c, s.bin, "", args...)
			ok(c, r)
			c.Check(r.stdout, gc.Matches, `(?s)Usage: wrench \[--datadir DIR\] `+cmd+` .*Options:\n  --datadir DIR .*`)
		}
	}
	r := runBinary(c, s.bin, "", "help", "check")
	c.Check(r.stdout, gc.Matches, `(?s).*  --json .*\n  --uid UID .*`)
}

func (s *cmdSuite) TestUsageErrors(c *gc.C) {
	s.writeFile(c, "agent", "a pause\n")
	before := entries(c, s.dir)
	for i, t := range []struct {
		args    []string
		pattern string
	}{
		{nil, `wrench: no command given \(see wrench --help\)`},
		{[]string{"bogus"}, `wrench: unknown command "bogus" \(see wrench --help\)`},
		{[]string{"--bogus", "list"}, `wrench: flag provided but not defined: --bogus \(see wrench --help\)`},
		{[]string{"help", "bogus"}, `wrench: help: unknown command "bogus" \(see wrench --help\)`},
		{[]string{"help", "set", "unset"}, `wrench: help: want \[COMMAND\|triggers\|fleet\], got 2 arguments \(see wrench help help\)`},
		{[]string{"set", "agent"}, `wrench: set: want CATEGORY FEATURE \[TRIGGER\], got 1 argument \(see wrench help set\)`},
		{[]string{"set", "agent", "a", "on", "extra"}, `wrench: set: want CATEGORY FEATURE \[TRIGGER\], got 4 arguments \(see wrench help set\)`},
		{[]string{"set", "--json", "agent", "a"}, `wrench: set: --json is for running on other machines: give --host or --hosts too \(see wrench help set\)`},
		// The fleet's flags, found wrong before anything runs anywhere.
		{[]string{"--sudo", "list"}, `wrench: list: --sudo is for running on other machines: give --host or --hosts too .*`},
		{[]string{"list", "--timeout", "3s"}, `wrench: list: --timeout is for running on other machines: .*`},
		{[]string{"--host", "db1", "cloud-init", "agent"}, `wrench: cloud-init: cloud-init runs on this machine only: --host and --hosts do not apply .*`},
		{[]string{"--host", "db1", "help"}, `wrench: help: help runs on this machine only: .*`},
		{[]string{"--host", "db1", "--any", "set", "agent", "a"}, `wrench: set: --any stops the other targets part way, which a write must not be: .*`},
		{[]string{"--host", "db1", "--host", "db1", "list"}, `wrench: list: target db1 is given twice .*`},
		{[]string{"--host", "db 1", "list"}, `wrench: list: target "db 1" holds a space or control character .*`},
		{[]string{"--host", "-oProxyCommand=x", "list"}, `wrench: list: target "-oProxyCommand=x" starts with "-", which ssh would take for an option .*`},
		{[]string{"--host", "db1", "--pick", "2", "list"}, `wrench: list: --pick 2: cannot pick 2 of 1 targets .*`},
		{[]string{"--host", "db1", "--pick", "0%", "list"}, `wrench: invalid value "0%" for flag --pick: want one, a count, or a percentage such as 34% .*`},
		{[]string{"--host", "db1", "--seed", "3", "list"}, `wrench: list: --seed chooses --pick's targets: give --pick too .*`},
		{[]string{"--host", "db1", "--parallel", "0", "list"}, `wrench: invalid value "0" for flag --parallel: want a whole number, at least 1 .*`},
		{[]string{"--host", "db1", "list", "--timeout", "0s"}, `wrench: list: invalid value "0s" for flag --timeout: want a duration above 0, such as 30s .*`},
		{[]string{"--host", "db1", "--remote-wrench", "/opt/my wrench", "list"}, `wrench: invalid value "/opt/my wrench" for flag --remote-wrench: write the path with letters, digits and _ . / ~ \+ - only .*`},
		{[]string{"--host", "db1", "--ssh-option", "BatchMode", "list"}, `wrench: invalid value "BatchMode" for flag --ssh-option: want KEY=VALUE .*`},
		{[]string{"--hosts", "/nonexistent/hosts", "list"}, `wrench: invalid value "/nonexistent/hosts" for flag --hosts: open /nonexistent/hosts: .*`},
		{[]string{"--host", "db1", "release", "agent", "a", "x"}, `wrench: release: count "x" is not a number \(see wrench help release\)`},
		{[]string{"set", "agent", "-x"}, `wrench: set: flag provided but not defined: --x \(put -- before arguments that start with -; see wrench help set\)`},
		{[]string{"--bogus"}, `wrench: flag provided but not defined: --bogus \(see wrench --help\)`},
		{[]string{"--datadir"}, `wrench: flag needs an argument: --datadir \(see wrench --help\)`},
		{[]string{"list", "--datadir"}, `wrench: list: flag needs an argument: --datadir \(see wrench help list\)`},
		{[]string{"--datadir=", "list"}, `wrench: list: --datadir is empty \(see wrench help list\)`},
		{[]string{"list", "--json=maybe"}, `wrench: list: invalid boolean value "maybe" for --json: .*`},
		{[]string{"unset", "agent"}, `wrench: unset: want CATEGORY FEATURE, got 1 argument .*`},
		{[]string{"unset", "agent", "a", "b"}, `wrench: unset: want CATEGORY FEATURE, got 3 arguments .*`},
		{[]string{"release"}, `wrench: release: want CATEGORY FEATURE \[N\], got none .*`},
		{[]string{"release", "agent", "a", "1", "2"}, `wrench: release: want CATEGORY FEATURE \[N\], got 4 arguments .*`},
		{[]string{"release", "agent", "a", "x"}, `wrench: release: count "x" is not a number \(see wrench help release\)`},
		{[]string{"release", "agent", "a", "1.5"}, `wrench: release: count "1.5" is not a number .*`},
		{[]string{"release", "agent", "a", "99999999999999999999"}, `wrench: release: count "99999999999999999999" is too large \(see wrench help release\)`},
		{[]string{"check", "--uid", "4294967296"}, `wrench: check: invalid value "4294967296" for flag --uid: out of range: uids go up to 4294967294 .*`},
		{[]string{"apply"}, `wrench: apply: want CATEGORY, got none .*`},
		{[]string{"apply", "agent", "other"}, `wrench: apply: want CATEGORY, got 2 arguments .*`},
		{[]string{"list", "--uid", "0"}, `wrench: list: flag provided but not defined: --uid .*`},
		{[]string{"check", "--uid", "abc"}, `wrench: check: invalid value "abc" for flag --uid: not a number \(see wrench help check\)`},
		{[]string{"check", "--uid"}, `wrench: check: flag needs an argument: --uid \(see wrench help check\)`},
		{[]string{"check", "--json", "--uid"}, `wrench: check: flag needs an argument: --uid \(see wrench help check\)`},
		{[]string{"check", "agent", "--bogus"}, `wrench: check: flag provided but not defined: --bogus .*`},
	} {
		c.Logf("test %d: wrench %q", i, t.args)
		failed(c, s.run(c, "", t.args...), 2, t.pattern)
	}
	c.Check(entries(c, s.dir), gc.DeepEquals, before)
	c.Check(s.content(c, "agent"), gc.Equals, "a pause\n")
}

func (s *cmdSuite) TestSetUnsetAndList(c *gc.C) {
	ok(c, s.run(c, "", "set", "machine-agent", "refuse-upgrade"))
	ok(c, s.run(c, "", "set", "machine-agent", "fail-lease", "30%on"))
	ok(c, s.run(c, "", "set", "api", "slow-dial", "sleep(2s)"))
	c.Check(s.content(c, "machine-agent"), gc.Equals, "refuse-upgrade\nfail-lease 30%on\n")

	r := s.run(c, "", "list")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`api (%s)
  slow-dial  sleep(2s)
machine-agent (%s)
  refuse-upgrade  on
  fail-lease      30%%on
`, filepath.Join(s.dir, "api"), filepath.Join(s.dir, "machine-agent")))

	// Flags may come after the arguments.
	r = s.run(c, "", "list", "machine-agent", "--json")
	ok(c, r)
	var listed []map[string]any
	c.Assert(json.Unmarshal([]byte(r.stdout), &listed), gc.IsNil)
	c.Check(listed, gc.DeepEquals, []map[string]any{{
		"category": "machine-agent",
		"path":     filepath.Join(s.dir, "machine-agent"),
		"rules": []any{
			map[string]any{"line": 1.0, "feature": "refuse-upgrade", "trigger": "on"},
			map[string]any{"line": 2.0, "feature": "fail-lease", "trigger": "30%on"},
		},
		"skipped":    []any{},
		"unreadable": "",
		"bom":        false,
	}})

	// A chain's "->" is printed as written, so scripts can grep for it.
	ok(c, s.run(c, "", "set", "api", "run-hook", "2*on->1*off->repeat"))
	r = s.run(c, "", "list", "--json", "api")
	ok(c, r)
	c.Check(strings.Contains(r.stdout, `"trigger": "2*on->1*off->repeat"`), gc.Equals, true, gc.Commentf("%s", r.stdout))

	ok(c, s.run(c, "", "unset", "machine-agent", "refuse-upgrade"))
	ok(c, s.run(c, "", "unset", "machine-agent", "refuse-upgrade"))
	ok(c, s.run(c, "", "unset", "nothing-here", "refuse-upgrade"))
	c.Check(s.content(c, "machine-agent"), gc.Equals, "fail-lease 30%on\n")
	c.Check(s.content(c, "nothing-here"), gc.Equals, "<none>")
}

func (s *cmdSuite) TestListShowsSkippedLines(c *gc.C) {
	s.writeFile(c, "agent", "a\nb on#x\n")
	r := s.run(c, "", "list")
	ok(c, r)
	c.Check(r.stdout, gc.Matches, `agent \(.*[/\\]agent\)\n  a  on\n  line 2 skipped: bad trigger "on#x": .*\n`)

	r = s.run(c, "", "list", "--json")
	ok(c, r)
	var listed []struct {
		Skipped []struct {
			Line   int    `json:"line"`
			Text   string `json:"text"`
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &listed), gc.IsNil)
	c.Assert(listed, gc.HasLen, 1)
	c.Assert(listed[0].Skipped, gc.HasLen, 1)
	c.Check(listed[0].Skipped[0].Line, gc.Equals, 2)
	c.Check(listed[0].Skipped[0].Text, gc.Equals, "b on#x")
	c.Check(listed[0].Skipped[0].Reason, gc.Matches, `bad trigger "on#x": .*`)
}

func (s *cmdSuite) TestListOfNothing(c *gc.C) {
	r := s.run(c, "", "list")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, "")
	r = s.run(c, "", "list", "--json")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, "[]\n")
}

func (s *cmdSuite) TestApply(c *gc.C) {
	s.writeFile(c, "agent", "old\n")
	rules := "# from CI\nrefuse-upgrade\nrun-hook 2*on->1*off->repeat # 2 of 3\n"
	ok(c, s.run(c, rules, "apply", "agent"))
	c.Check(s.content(c, "agent"), gc.Equals, rules)
}

func (s *cmdSuite) TestApplyWritesNothingOnAnyProblem(c *gc.C) {
	path := s.writeFile(c, "agent", "old\n")
	fi, err := os.Stat(path)
	c.Assert(err, gc.IsNil)
	failed(c, s.run(c, "a\nb on#x\nc 0%on\n", "apply", "agent"), 1,
		`wrench: apply: .*[/\\]wrench[/\\]agent:2: bad trigger "on#x": .* \(and 1 more problem\): nothing written`)
	failed(c, s.run(c, strings.Repeat("#\n", 40000), "apply", "agent"), 1,
		`wrench: apply: .*[/\\]wrench[/\\]agent: 65537 bytes of rules, over the 65536 byte limit IsActive reads: nothing written`)
	now, err := os.Stat(path)
	c.Assert(err, gc.IsNil)
	c.Check(os.SameFile(fi, now), gc.Equals, true)
	c.Check(s.content(c, "agent"), gc.Equals, "old\n")
	c.Check(entries(c, s.dir), gc.DeepEquals, []string{"agent"})
}

func (s *cmdSuite) TestRefusedInputWritesNothing(c *gc.C) {
	for i, t := range []struct {
		args    []string
		pattern string
	}{
		{[]string{"set", "agent", "a", "on#x"}, `wrench: set: .*[/\\]wrench[/\\]agent: bad trigger "on#x": .*`},
		{[]string{"set", "agent", "a", "#x"}, `wrench: set: .*[/\\]wrench[/\\]agent: bad trigger "#x": .*`},
		{[]string{"set", "agent", "a", "2*on->repeat->off"}, `wrench: set: .*[/\\]wrench[/\\]agent: bad trigger .*`},
		{[]string{"set", "agent", "#a"}, `wrench: set: .*[/\\]wrench[/\\]agent: feature name "#a" starts with "#", which starts a comment`},
		{[]string{"set", "../etc", "a"}, `wrench: set: .*[/\\]wrench: category name "../etc" starts with "."`},
		{[]string{"set", "etc/passwd", "a"}, `wrench: set: .*[/\\]wrench: category name "etc/passwd" has "/", outside A-Z a-z 0-9 . _ -`},
		{[]string{"set", "a\nb", "a"}, `wrench: set: .*[/\\]wrench: category name "a\\nb" has "\\n", outside .*`},
		{[]string{"set", ".lock", "a"}, `wrench: set: .*[/\\]wrench: category name ".lock" starts with "."`},
		{[]string{"apply", "a/b"}, `wrench: apply: .*[/\\]wrench: category name "a/b" .*`},
		{[]string{"clear", "ok", "a/b"}, `wrench: clear: .*[/\\]wrench: category name "a/b" .*`},
		{[]string{"list", "a/b"}, `wrench: list: .*[/\\]wrench: category name "a/b" .*`},
		{[]string{"check", "a/b"}, `wrench: check: .*[/\\]wrench: category name "a/b" .*`},
		{[]string{"release", "agent", "a", "0"}, `wrench: release: cannot release 0 calls: the count must be at least 1`},
		{[]string{"set", "agent", "a", ""}, `wrench: set: empty TRIGGER argument: leave it out for a bare feature, always on`},
	} {
		c.Logf("test %d: wrench %q", i, t.args)
		failed(c, s.run(c, "", t.args...), 1, t.pattern)
		c.Check(entries(c, s.dataDir), gc.HasLen, 0)
	}
}

func (s *cmdSuite) TestMissingDataDir(c *gc.C) {
	typo := filepath.Join(s.dataDir, "typo")
	failed(c, runBinary(c, s.bin, "", "--datadir", typo, "set", "agent", "a"), 1,
		`wrench: set: cannot create .*[/\\]typo[/\\]wrench: data directory .*[/\\]typo does not exist`)
	// Every subcommand: a mistyped --datadir never looks like success.
	for _, args := range [][]string{
		{"list"}, {"list", "--json"}, {"check"}, {"check", "--json", "agent"}, {"unset", "agent", "a"},
		{"release", "agent", "a"}, {"clear"}, {"clear", "agent"},
	} {
		c.Logf("wrench %q", args)
		failed(c, runBinary(c, s.bin, "", append([]string{"--datadir", typo}, args...)...), 1,
			`wrench: `+args[0]+`: data directory `+regexp.QuoteMeta(typo)+` does not exist`)
	}
	c.Check(entries(c, s.dataDir), gc.HasLen, 0)
}

// TestWrenchDirectoryAsDataDir: --datadir naming a wrench directory gets a
// hint on stderr, as the rules go one level further down.
func (s *cmdSuite) TestWrenchDirectoryAsDataDir(c *gc.C) {
	s.writeFile(c, "agent", "a\n")
	hint := `wrench: hint: data directory ` + regexp.QuoteMeta(s.dir) + ` looks like a wrench directory itself; the rules are in DATADIR/wrench, so the data directory is probably ` + regexp.QuoteMeta(s.dataDir)
	r := runBinary(c, s.bin, "", "--datadir", s.dir, "list")
	c.Check(r.code, gc.Equals, 0)
	c.Check(r.stdout, gc.Equals, "")
	oneLine(c, r.stderr, hint)

	r = runBinary(c, s.bin, "", "--datadir", s.dir, "set", "agent", "b")
	c.Check(r.code, gc.Equals, 0)
	oneLine(c, r.stderr, hint)

	// Now there is a wrench directory inside: no hint.
	ok(c, runBinary(c, s.bin, "", "--datadir", s.dir, "list"))
	// Nor for the data directory itself.
	ok(c, s.run(c, "", "list"))
}

// TestDataDirFromTheEnvironment: WRENCH_DATADIR is --datadir's default.
func (s *cmdSuite) TestDataDirFromTheEnvironment(c *gc.C) {
	env := []string{"WRENCH_DATADIR=" + s.dataDir}
	ok(c, runBinaryEnv(c, s.bin, env, "", "set", "agent", "a"))
	c.Check(s.content(c, "agent"), gc.Equals, "a\n")
	r := runBinaryEnv(c, s.bin, env, "", "list", "--json")
	ok(c, r)
	var listed []struct {
		Path string `json:"path"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &listed), gc.IsNil)
	c.Assert(listed, gc.HasLen, 1)
	c.Check(listed[0].Path, gc.Equals, filepath.Join(s.dir, "agent"))
	r = runBinaryEnv(c, s.bin, env, "", "help", "list")
	ok(c, r)
	c.Check(r.stdout, gc.Matches, `(?s).*--datadir DIR .*\(default `+regexp.QuoteMeta(s.dataDir)+`, from \$WRENCH_DATADIR\).*`)

	// --datadir still wins.
	other := tempDir(c)
	ok(c, runBinaryEnv(c, s.bin, env, "", "--datadir", other, "set", "agent", "b"))
	c.Check(entries(c, filepath.Join(other, "wrench")), gc.DeepEquals, []string{lockFile(), "agent"})
	c.Check(s.content(c, "agent"), gc.Equals, "a\n")

	// And a mistyped one is an error naming it.
	failed(c, runBinaryEnv(c, s.bin, []string{"WRENCH_DATADIR=" + filepath.Join(s.dataDir, "typo")}, "", "check"), 1,
		`wrench: check: data directory .*[/\\]typo does not exist`)
}

func (s *cmdSuite) TestRelease(c *gc.C) {
	ok(c, s.run(c, "", "set", "agent", "start-hook", "pause"))
	ok(c, s.run(c, "", "release", "agent", "start-hook"))
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 1*off->pause\n")
	// Releases add up: the line says how many calls pass in all.
	ok(c, s.run(c, "", "release", "agent", "start-hook", "3"))
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 4*off->pause\n")

	ok(c, s.run(c, "", "set", "agent", "other", "on"))
	failed(c, s.run(c, "", "release", "agent", "other"), 1,
		`wrench: release: .*[/\\]wrench[/\\]agent:2: rule "on" for "other" has no pause, so there is nothing to release`)
	failed(c, s.run(c, "", "release", "agent", "absent"), 1,
		`wrench: release: .*[/\\]wrench[/\\]agent: no rule for "absent", so there is nothing to release`)
}

func (s *cmdSuite) TestClear(c *gc.C) {
	for _, name := range []string{"a", "b", "c"} {
		ok(c, s.run(c, "", "set", name, "x"))
	}
	ok(c, s.run(c, "", "clear", "a", "missing"))
	c.Check(entries(c, s.dir), gc.DeepEquals, []string{lockFile(), "b", "c"})
	ok(c, s.run(c, "", "clear"))
	c.Check(entries(c, s.dir), gc.DeepEquals, []string{lockFile()})
	ok(c, s.run(c, "", "clear"))
}

// TestClearRemovesEveryFileItCan: directories where category files would
// be, first and last in name order, stop nothing; each is reported, with a
// remedy that works.
func (s *cmdSuite) TestClearRemovesEveryFileItCan(c *gc.C) {
	for _, name := range []string{"b", "m", "y"} {
		ok(c, s.run(c, "", "set", name, "x"))
	}
	for _, name := range []string{"0first", "zzlast"} {
		c.Assert(os.Mkdir(filepath.Join(s.dir, name), 0o755), gc.IsNil)
	}
	dirError := func(name string) string {
		return `cannot remove ` + regexp.QuoteMeta(filepath.Join(s.dir, name)) + `: it is a directory, not a category file \(remove it by hand\)`
	}
	failed(c, s.run(c, "", "clear"), 1, `wrench: clear: 2 entries not cleared: `+dirError("0first")+`; `+dirError("zzlast"))
	c.Check(entries(c, s.dir), gc.DeepEquals, []string{lockFile(), "0first", "zzlast"})

	// Set says what to do about such a directory: not "clear".
	failed(c, s.run(c, "", "set", "0first", "x"), 1,
		`wrench: set: .* is a directory, not a regular file, so IsActive .* would not trust it: refusing to edit it \(remove the directory by hand\)`)
}

// TestAFeatureMayStartWithADash: after "--", an argument starting with
// "-" is an argument; a negative count is a count, not a flag.
func (s *cmdSuite) TestAFeatureMayStartWithADash(c *gc.C) {
	ok(c, s.run(c, "", "set", "agent", "--", "-odd", "pause"))
	ok(c, s.run(c, "", "set", "--", "agent", "-x"))
	c.Check(s.content(c, "agent"), gc.Equals, "-odd pause\n-x\n")
	ok(c, s.run(c, "", "release", "agent", "--", "-odd", "2"))
	failed(c, s.run(c, "", "release", "agent", "--", "-odd", "-1"), 1,
		`wrench: release: .*count must be at least 1.*`)
	failed(c, s.run(c, "", "release", "agent", "a", "-1"), 1,
		`wrench: release: .*count must be at least 1.*`)
	ok(c, s.run(c, "", "unset", "agent", "--", "-x"))
	c.Check(s.content(c, "agent"), gc.Matches, `-odd \S*pause\S*\n`)
}

func (s *cmdSuite) TestVersion(c *gc.C) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"--datadir", "/nowhere", "--version"}} {
		r := runBinary(c, s.bin, "", args...)
		ok(c, r)
		c.Check(r.stdout, gc.Matches, `wrench (\(devel\)|v\S+) go\S+ \w+/\w+\n`)
	}
	r := runBinary(c, s.bin, "", "--help")
	c.Check(r.stdout, gc.Matches, `(?s).*\n  --version .*`)
}

// TestHelpShowsTheTriggerLanguage: the commands that take a trigger, and
// help triggers, show the grammar and every action.
func (s *cmdSuite) TestHelpShowsTheTriggerLanguage(c *gc.C) {
	for _, args := range [][]string{{"help", "set"}, {"set", "--help"}, {"help", "release"}, {"help", "triggers"}} {
		r := runBinary(c, s.bin, "", args...)
		ok(c, r)
		c.Check(r.stdout, gc.Matches, `(?s).*trigger = term \{ "->" term \} \[ "->repeat" \].*`)
		for _, action := range []string{"on, return", "off", "sleep\\(D\\)", "pause", "panic", "exit\\(N\\)", "print"} {
			c.Check(r.stdout, gc.Matches, `(?s).*\n  `+action+` .*`, gc.Commentf("wrench %q: %s", args, action))
		}
	}
	r := runBinary(c, s.bin, "", "help", "unset")
	c.Check(strings.Contains(r.stdout, "trigger ="), gc.Equals, false)
}

// TestFlagsAreSpelledWithTwoDashes: no message or help says "-datadir".
func (s *cmdSuite) TestFlagsAreSpelledWithTwoDashes(c *gc.C) {
	oneDash := regexp.MustCompile(`(^|[^-])-(datadir|uid|json|version)\b`)
	for _, args := range [][]string{
		{"--datadir"}, {"-datadir"}, {"list", "--datadir"}, {"check", "--uid"}, {"check", "-uid", "x"},
		{"list", "-json=x"}, {"--help"}, {"help", "check"}, {"help", "set"}, {"-bogus"}, {"set", "-json", "a", "b"},
	} {
		r := runBinary(c, s.bin, "", args...)
		for _, out := range []string{r.stdout, r.stderr} {
			c.Check(oneDash.FindString(out), gc.Equals, "", gc.Commentf("wrench %q: %q", args, out))
		}
	}
}

func (s *cmdSuite) TestCheck(c *gc.C) {
	r := s.run(c, "", "check")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, "absent   "+s.dir+": no wrench directory, so nothing is armed\n")

	s.writeFile(c, "agent", "a\nb on#x\n")
	r = s.run(c, "", "check", "agent", "missing")
	c.Check(r.code, gc.Equals, 1)
	agent := regexp.QuoteMeta(filepath.Join(s.dir, "agent"))
	c.Check(r.stdout, gc.Matches, fmt.Sprintf(`ok       %s: directory honoured by .*
ok       %[2]s: file honoured by .*
ok       %[2]s:1: a on
PROBLEM  %[2]s:2: bad trigger "on#x": .*
absent   %s: no file
`, regexp.QuoteMeta(s.dir), agent, regexp.QuoteMeta(filepath.Join(s.dir, "missing"))))
	oneLine(c, r.stderr, `wrench: check: 1 problem found`)

	ok(c, s.run(c, "", "unset", "agent", "b"))
	r = s.run(c, "", "check", "agent")
	ok(c, r)
}

// jsonReport is check --json's documented shape.
type jsonReport struct {
	UID       int  `json:"uid"`
	OK        bool `json:"ok"`
	Problems  int  `json:"problems"`
	Directory struct {
		Path    string `json:"path"`
		Exists  bool   `json:"exists"`
		OK      bool   `json:"ok"`
		Problem string `json:"problem"`
	} `json:"directory"`
	Files []struct {
		Category string `json:"category"`
		Path     string `json:"path"`
		Exists   bool   `json:"exists"`
		OK       bool   `json:"ok"`
		Problem  string `json:"problem"`
		Lines    []struct {
			Line    int    `json:"line"`
			Text    string `json:"text"`
			OK      bool   `json:"ok"`
			Feature string `json:"feature"`
			Trigger string `json:"trigger"`
			Problem string `json:"problem"`
		} `json:"lines"`
	} `json:"files"`
}

func (s *cmdSuite) TestCheckJSON(c *gc.C) {
	s.writeFile(c, "agent", "a 2*on\nb on#x\n")
	r := s.run(c, "", "check", "--json")
	c.Check(r.code, gc.Equals, 1)
	oneLine(c, r.stderr, `wrench: check: 1 problem found`)

	// Every documented field is there, and nothing else.
	var raw map[string]any
	c.Assert(json.Unmarshal([]byte(r.stdout), &raw), gc.IsNil)
	c.Check(keys(raw), gc.DeepEquals, []string{"directory", "files", "ok", "problems", "uid"})
	c.Check(keys(raw["directory"].(map[string]any)), gc.DeepEquals, []string{"exists", "ok", "path", "problem", "unlisted"})
	file := raw["files"].([]any)[0].(map[string]any)
	c.Check(keys(file), gc.DeepEquals, []string{"bom", "category", "exists", "lines", "ok", "path", "problem"})
	c.Check(keys(file["lines"].([]any)[0].(map[string]any)), gc.DeepEquals, []string{"feature", "line", "ok", "problem", "text", "trigger"})

	var report jsonReport
	c.Assert(json.Unmarshal([]byte(r.stdout), &report), gc.IsNil)
	c.Check(report.OK, gc.Equals, false)
	c.Check(report.Problems, gc.Equals, 1)
	c.Check(report.Directory.Path, gc.Equals, s.dir)
	c.Check(report.Directory.Exists, gc.Equals, true)
	c.Check(report.Directory.OK, gc.Equals, true)
	c.Assert(report.Files, gc.HasLen, 1)
	f := report.Files[0]
	c.Check(f.Category, gc.Equals, "agent")
	c.Check(f.Path, gc.Equals, filepath.Join(s.dir, "agent"))
	c.Check(f.Exists && f.OK && f.Problem == "", gc.Equals, true)
	c.Assert(f.Lines, gc.HasLen, 2)
	c.Check(f.Lines[0].Line, gc.Equals, 1)
	c.Check(f.Lines[0].Text, gc.Equals, "a 2*on")
	c.Check(f.Lines[0].OK, gc.Equals, true)
	c.Check(f.Lines[0].Feature, gc.Equals, "a")
	c.Check(f.Lines[0].Trigger, gc.Equals, "2*on")
	c.Check(f.Lines[1].Line, gc.Equals, 2)
	c.Check(f.Lines[1].OK, gc.Equals, false)
	c.Check(f.Lines[1].Feature, gc.Equals, "")
	c.Check(f.Lines[1].Problem, gc.Matches, `bad trigger "on#x": .*`)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *cmdSuite) TestNowrenchBuildWritesNothing(c *gc.C) {
	if s.binNoWrench == "" {
		c.Skip("no nowrench build of the command (WRENCH_TEST_COMMAND_NOWRENCH)")
	}
	for _, args := range [][]string{
		{"set", "agent", "a"}, {"unset", "agent", "a"}, {"release", "agent", "a"}, {"clear"},
	} {
		failed(c, runBinary(c, s.binNoWrench, "", append([]string{"--datadir", s.dataDir}, args...)...), 1,
			`wrench: `+args[0]+`: wrench\.\w+: this program is built with the nowrench tag, which ignores every rule, so it writes none`)
	}
	failed(c, runBinary(c, s.binNoWrench, "a\n", "--datadir", s.dataDir, "apply", "agent"), 1,
		`wrench: apply: wrench.Apply: this program is built with the nowrench tag.*`)
	c.Check(entries(c, s.dataDir), gc.HasLen, 0)
}

func (s *cmdSuite) TestConcurrentProcessesLoseNothing(c *gc.C) {
	const writers = 16
	ctx, cancel := context.WithTimeout(context.Background(), failureGuard)
	defer cancel()
	var cmds []*exec.Cmd
	for i := range writers {
		var cmd *exec.Cmd
		var err error
		// Wine now and then fails to start one of many processes at
		// once ("Internal error"); that is no writer's fault, so try it
		// again there.
		for try := 0; try < 5; try++ {
			cmd = exec.CommandContext(ctx, s.bin, "--datadir", s.dataDir, "set", "agent", fmt.Sprintf("feature-%d", i), "on")
			cmd.Stderr = os.Stderr
			if err = cmd.Start(); err == nil || runtime.GOOS != "windows" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		c.Assert(err, gc.IsNil)
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		c.Check(cmd.Wait(), gc.IsNil)
	}
	var want []string
	for i := range writers {
		want = append(want, fmt.Sprintf("feature-%d on", i))
	}
	got := strings.Split(strings.TrimSuffix(s.content(c, "agent"), "\n"), "\n")
	sort.Strings(got)
	sort.Strings(want)
	c.Check(got, gc.DeepEquals, want)
	c.Check(entries(c, s.dir), gc.DeepEquals, []string{lockFile(), "agent"})
}

// tempDir makes a directory removed when the test binary is done; see
// package testdir for why not c.MkDir.
func tempDir(c *gc.C) string {
	dir, err := testdir.Make("wrench-cmd-test-")
	c.Assert(err, gc.IsNil)
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	testdir.RemoveAll()
	os.Exit(code)
}
