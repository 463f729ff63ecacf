//go:build unix

package wrench_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

func init() {
	// The child side of repeatingAgent: for each line "N FEATURE" on
	// stdin, ask IsActive("agent", FEATURE) N times and print the last
	// answer, how many were true and wrench.Reloads() after them.
	if os.Getenv("WRENCH_TEST_CHILD") != "repeat" {
		return
	}
	wrench.SetDataDir(os.Getenv("WRENCH_TEST_DATADIR"))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var n int
		var feature string
		if _, err := fmt.Sscan(in.Text(), &n, &feature); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		last, trues := false, 0
		for i := 0; i < n; i++ {
			if last = wrench.IsActive("agent", feature); last {
				trues++
			}
		}
		fmt.Printf("%s=%v trues=%d reloads=%d\n", feature, last, trues, wrench.Reloads())
	}
	os.Exit(0)
}

// repeatingAgent is a running agent process of another user.
type repeatingAgent struct {
	c      *gc.C
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *os.File // a file, not a pipe: read while the agent runs, without a race
	wait   func() error
}

// startAgentAs starts this test binary, copied where uid can run it, as
// an agent running as uid against dataDir.
func startAgentAs(c *gc.C, uid int, dataDir string) *repeatingAgent {
	bin := filepath.Join(tempDir(c), "wrench.test")
	copyFile(c, os.Args[0], bin, 0o755)
	cmd := childProcess("repeat", dataDir)
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	stderr, err := os.CreateTemp(tempDir(c), "stderr")
	c.Assert(err, gc.IsNil)
	a := &repeatingAgent{c: c, stderr: stderr}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	c.Assert(err, gc.IsNil)
	stdout, err := cmd.StdoutPipe()
	c.Assert(err, gc.IsNil)
	c.Assert(cmd.Start(), gc.IsNil)
	a.in = stdin
	a.out = bufio.NewScanner(stdout)
	a.wait = cmd.Wait
	return a
}

// ask has the agent call IsActive n times and returns its report.
func (a *repeatingAgent) ask(n int, feature string) (answer string, trues int, reloads int64) {
	_, err := fmt.Fprintf(a.in, "%d %s\n", n, feature)
	a.c.Assert(err, gc.IsNil)
	a.c.Assert(a.out.Scan(), gc.Equals, true, gc.Commentf("agent's stderr: %s", a.log()))
	_, err = fmt.Sscanf(a.out.Text(), "%s trues=%d reloads=%d", &answer, &trues, &reloads)
	a.c.Assert(err, gc.IsNil, gc.Commentf("agent said %q", a.out.Text()))
	return answer, trues, reloads
}

// stop ends the agent and returns what it logged.
func (a *repeatingAgent) stop() string {
	a.in.Close()
	a.c.Assert(a.wait(), gc.IsNil, gc.Commentf("agent's stderr: %s", a.log()))
	return a.log()
}

// log is what the agent has logged so far.
func (a *repeatingAgent) log() string {
	data, err := os.ReadFile(a.stderr.Name())
	a.c.Assert(err, gc.IsNil)
	return string(data)
}

func (s *euidSuite) TestUnopenableFileIsRefusedOncePerState(c *gc.C) {
	needRoot(c)
	// Root's file, trusted by its owner, but the agent may not read it.
	path := s.writeFile(c, "agent", "x\n")
	c.Assert(os.Chmod(path, 0o600), gc.IsNil)
	agent := startAgentAs(c, otherUID, s.dataDir)
	answer, _, reloads := agent.ask(1, "x")
	c.Check(answer, gc.Equals, "x=false")
	// Remembered for this file state: not opened again, not logged again.
	answer, trues, again := agent.ask(1000, "x")
	c.Check(answer, gc.Equals, "x=false")
	c.Check(trues, gc.Equals, 0)
	c.Check(again, gc.Equals, reloads)
	// A chmod is a new state, tried afresh: now it is honoured.
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	answer, trues, _ = agent.ask(3, "x")
	c.Check(answer, gc.Equals, "x=true")
	c.Check(trues, gc.Equals, 3)
	log := agent.stop()
	c.Check(strings.Count(log, "ERROR"), gc.Equals, 1, gc.Commentf("log: %s", log))
	c.Check(log, gc.Matches, `(?s).* ERROR wrench \S+ refusing `+regexp.QuoteMeta(path)+`: cannot be opened: permission denied\n`)
}
