//go:build unix

package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// otherUID owns files in the tests that need an owner who is neither root
// nor the test's user.
const otherUID = 12345

func needRoot(c *gc.C) {
	if os.Geteuid() != 0 {
		c.Skip("needs root, to chown files to another user")
	}
}

func mode(c *gc.C, path string) os.FileMode {
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	return fi.Mode()
}

func (s *cmdSuite) TestUmaskDoesNotNarrowModes(c *gc.C) {
	script := fmt.Sprintf("umask 077 && exec %q --datadir %q set agent a", s.bin, s.dataDir)
	out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput()
	c.Assert(err, gc.IsNil, gc.Commentf("%s", out))
	c.Check(mode(c, s.dir), gc.Equals, os.ModeDir|0o755)
	c.Check(mode(c, filepath.Join(s.dir, "agent")), gc.Equals, os.FileMode(0o644))

	script = fmt.Sprintf("umask 077 && echo b | exec %q --datadir %q apply other", s.bin, s.dataDir)
	out, err = exec.Command("/bin/sh", "-c", script).CombinedOutput()
	c.Assert(err, gc.IsNil, gc.Commentf("%s", out))
	c.Check(mode(c, filepath.Join(s.dir, "other")), gc.Equals, os.FileMode(0o644))
}

// refusesToEdit checks that set, unset and release refuse the category
// file at path, with one line matching reason, and leave it as it was.
func (s *cmdSuite) refusesToEdit(c *gc.C, path, reason string) {
	before, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	for _, args := range [][]string{
		{"set", "agent", "b"}, {"set", "agent", "a", "off"}, {"unset", "agent", "a"}, {"release", "agent", "a"},
	} {
		failed(c, s.run(c, "", args...), 1,
			`wrench: `+args[0]+`: `+regexpQuote(path)+` `+reason+`, so IsActive running as uid \d+ would not trust it: refusing to edit it \(wrench clear removes it\)`)
	}
	after, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	c.Check(os.SameFile(before, after), gc.Equals, true)
	c.Check(after.Mode(), gc.Equals, before.Mode())
}

func regexpQuote(s string) string {
	return strings.NewReplacer(".", `\.`, "(", `\(`, ")", `\)`, "*", `\*`, "+", `\+`).Replace(s)
}

func (s *cmdSuite) TestAFileWritableByOthersIsRefusedAndCleared(c *gc.C) {
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Chmod(path, 0o666), gc.IsNil)
	s.refusesToEdit(c, path, `is writable by its group \(mode 0666\)`)
	c.Check(s.content(c, "agent"), gc.Equals, "a pause\n")
	ok(c, s.run(c, "", "clear", "agent"))
	c.Check(s.content(c, "agent"), gc.Equals, "<none>")
}

func (s *cmdSuite) TestAFileOfAnotherUserIsRefusedAndCleared(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "a pause\n")
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)
	s.refusesToEdit(c, path, `is owned by uid 12345, not by uid 0 or root`)
	c.Check(s.content(c, "agent"), gc.Equals, "a pause\n")
	ok(c, s.run(c, "", "clear"))
	c.Check(s.content(c, "agent"), gc.Equals, "<none>")
}

func (s *cmdSuite) TestCheckForAnotherUID(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "a\n")
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)

	// The owner's agent honours it.
	r := s.run(c, "", "check", "--uid", "12345")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`ok       %[1]s: directory honoured by uid 12345
ok       %[1]s/agent: file honoured by uid 12345
ok       %[1]s/agent:1: a on
`, s.dir))

	// Root's and anyone else's would not.
	for _, uid := range []string{"0", "4242"} {
		r = s.run(c, "", "check", "--uid", uid)
		c.Check(r.code, gc.Equals, 1)
		c.Check(r.stdout, gc.Matches, fmt.Sprintf(`(?s).*\nPROBLEM  %s/agent: is owned by uid 12345, not by uid %s or root\n.*`, s.dir, uid))
		oneLine(c, r.stderr, `wrench: check: 1 problem found`)
	}
	// Without --uid, the caller's.
	r = s.run(c, "", "check", "--json")
	c.Check(r.code, gc.Equals, 1)
	var report jsonReport
	c.Assert(json.Unmarshal([]byte(r.stdout), &report), gc.IsNil)
	c.Check(report.UID, gc.Equals, os.Geteuid())
	c.Check(report.Files[0].Problem, gc.Equals, "is owned by uid 12345, not by uid 0 or root")
	c.Check(report.Files[0].OK, gc.Equals, false)
	// The line parses, but a refused file's rules are not honoured.
	c.Check(report.Files[0].Lines[0].OK, gc.Equals, false)
	c.Check(report.Files[0].Lines[0].Problem, gc.Equals, "")
}

func (s *cmdSuite) TestNegativeUID(c *gc.C) {
	// A negative uid is a value, not a flag, and the message is the
	// command's, not the Go API's.
	for _, args := range [][]string{{"--uid", "-1"}, {"--uid", "-5", "--json"}, {"--uid=-5"}, {"agent", "--uid", "-5"}} {
		failed(c, s.run(c, "", append([]string{"check"}, args...)...), 1, `wrench: check: uid -\d is negative`)
	}
}

func (s *cmdSuite) TestFIFOAndSymlinkAreReportedWithoutBlocking(c *gc.C) {
	s.writeFile(c, "ok", "a\n")
	fifo := filepath.Join(s.dir, "fifo")
	c.Assert(syscall.Mkfifo(fifo, 0o644), gc.IsNil)
	link := filepath.Join(s.dir, "link")
	c.Assert(os.Symlink(filepath.Join(s.dir, "ok"), link), gc.IsNil)

	// Each run would block for ever if it opened the FIFO for reading.
	r := s.run(c, "", "check")
	c.Check(r.code, gc.Equals, 1)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`ok       %[1]s: directory honoured by uid %[2]d
PROBLEM  %[1]s/fifo: is a named pipe (FIFO), not a regular file
PROBLEM  %[1]s/link: is a symbolic link, not a regular file
ok       %[1]s/ok: file honoured by uid %[2]d
ok       %[1]s/ok:1: a on
`, s.dir, os.Geteuid()))
	oneLine(c, r.stderr, `wrench: check: 2 problems found`)

	r = s.run(c, "", "list")
	ok(c, r)
	c.Check(r.stdout, gc.Matches, `(?s)fifo \(.*\)\n  unreadable: is a named pipe \(FIFO\), not a regular file\nlink \(.*\)\n  unreadable: is a symbolic link, not a regular file\nok .*`)

	failed(c, s.run(c, "", "set", "fifo", "a"), 1, `wrench: set: .*/fifo is a named pipe \(FIFO\), not a regular file, so IsActive running as uid \d+ would not trust it: .*`)
	failed(c, s.run(c, "", "set", "link", "a"), 1, `wrench: set: .*/link is a symbolic link, not a regular file, so IsActive running as uid \d+ would not trust it: .*`)
	c.Check(s.content(c, "ok"), gc.Equals, "a\n")

	ok(c, s.run(c, "", "clear", "fifo", "link"))
	c.Check(entries(c, s.dir), gc.DeepEquals, []string{lockFile(), "ok"})
}

func (s *cmdSuite) TestAnUntrustedDirectoryIsReportedAndRefused(c *gc.C) {
	s.writeFile(c, "agent", "a\n")
	c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
	r := s.run(c, "", "check")
	c.Check(r.code, gc.Equals, 1)
	c.Check(r.stdout, gc.Equals, fmt.Sprintf(`PROBLEM  %[1]s: is writable by its group (mode 0777)
PROBLEM  %[1]s/agent: is ignored with its directory
ignored  %[1]s/agent:1: a on (not honoured: its file is refused)
`, s.dir))
	r = s.run(c, "", "check", "--json")
	c.Check(r.stdout, gc.Matches, `(?s).*"lines": \[\s*\{\s*"line": 1,\s*"text": "a",\s*"ok": false,.*`)
	failed(c, s.run(c, "", "set", "agent", "b"), 1,
		`wrench: set: refusing to write .*/agent: the wrench directory .* is writable by its group \(mode 0777\), so IsActive running as uid \d+ would ignore it`)
	c.Check(s.content(c, "agent"), gc.Equals, "a\n")
}

// TestReleaseLetsAPausedAgentGo holds a call in this process in a pause
// rule the command set, and lets it go with the command.
func (s *cmdSuite) TestReleaseLetsAPausedAgentGo(c *gc.C) {
	old := wrench.SetDataDir(s.dataDir)
	defer wrench.SetDataDir(old)
	logs := &loggo.TestWriter{}
	c.Assert(loggo.RegisterWriter("cmd-test", logs), gc.IsNil)
	defer loggo.RemoveWriter("cmd-test")
	logger := loggo.GetLogger("wrench")
	defer logger.SetLogLevel(logger.LogLevel())
	logger.SetLogLevel(loggo.DEBUG) // a rule's later firings are logged at DEBUG

	ok(c, s.run(c, "", "set", "agent", "start-hook", "pause"))
	returned := make(chan bool, 1)
	go func() { returned <- wrench.IsActive("agent", "start-hook") }()
	deadline := time.Now().Add(failureGuard)
	for !logged(logs, `agent:start-hook: pause fired`) {
		c.Assert(time.Now().Before(deadline), gc.Equals, true, gc.Commentf("the call never paused"))
		time.Sleep(time.Millisecond)
	}
	select {
	case <-returned:
		c.Fatalf("the paused call returned before the release")
	default:
	}
	ok(c, s.run(c, "", "release", "agent", "start-hook"))
	select {
	case active := <-returned:
		c.Check(active, gc.Equals, false)
	case <-time.After(failureGuard):
		c.Fatalf("the release did not let the paused call go")
	}
	// The next call pauses again; clearing lets it go.
	go func() { returned <- wrench.IsActive("agent", "start-hook") }()
	for !logged(logs, `agent:start-hook: pause fired (rule "1*off->pause"`) {
		c.Assert(time.Now().Before(deadline), gc.Equals, true, gc.Commentf("the second call never paused"))
		time.Sleep(time.Millisecond)
	}
	ok(c, s.run(c, "", "clear"))
	select {
	case active := <-returned:
		c.Check(active, gc.Equals, false)
	case <-time.After(failureGuard):
		c.Fatalf("clear did not let the paused call go")
	}
}

func logged(logs *loggo.TestWriter, text string) bool {
	for _, e := range logs.Log() {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

func (s *cmdSuite) TestRootArmsAnAgentsOwnDirectory(c *gc.C) {
	needRoot(c)
	path := s.writeFile(c, "agent", "a\n")
	c.Assert(os.Lchown(s.dir, otherUID, otherUID), gc.IsNil)
	c.Assert(os.Lchown(path, otherUID, otherUID), gc.IsNil)
	ok(c, s.run(c, "", "set", "agent", "b", "2*on"))
	c.Check(s.content(c, "agent"), gc.Equals, "a\nb 2*on\n")
	ok(c, s.run(c, "", "check", "--uid", "12345"))
}

func (s *cmdSuite) TestStatusOfAFileNoProcessTrusts(c *gc.C) {
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.WriteFile(path, []byte("x\n"), 0o646), gc.IsNil)
	c.Assert(os.Chmod(path, 0o646), gc.IsNil)
	r := s.run(c, "", "status", "agent")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, "agent: file refused by every process: is writable by others (mode 0646); no live process reads it\n")
	c.Check(s.version(c, "agent"), gc.Equals, "")
	r = s.run(c, "", "status", "--json", "agent")
	ok(c, r)
	c.Check(r.stdout, gc.Matches, `(?s).*"version": "",\s+"refused": "is writable by others \(mode 0646\)",.*`)
}
