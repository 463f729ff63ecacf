//go:build linux

package e2e_test

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"

	gc "gopkg.in/check.v1"
)

// event is one line of testagent's output (see e2e/testagent).
type event struct {
	Kind    string   `json:"kind"`
	UID     int      `json:"uid,omitempty"`
	EUID    int      `json:"euid,omitempty"`
	Round   int      `json:"round,omitempty"`
	Fired   []string `json:"fired,omitempty"`
	Point   string   `json:"point,omitempty"`
	Active  bool     `json:"active,omitempty"`
	Level   string   `json:"level,omitempty"`
	Message string   `json:"message,omitempty"`
}

// agentProcess is a running testagent, driven one round at a time.
type agentProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan event    // closed when its stdout ends
	stderr *lockedBuffer // anything it says outside the protocol
	round  int
	logs   []event // every wrench log entry it has written so far
	exited bool
}

// startAgent runs testagent as the user acct, with its data directory at
// dataDir, asking about points (CATEGORY:FEATURE) each round.
func startAgent(c *gc.C, bin, dataDir string, acct account, points ...string) *agentProcess {
	return startAgentEnv(c, bin, dataDir, acct, nil, points...)
}

// startAgentEnv is startAgent with more variables in the agent's
// environment, as NAME=VALUE.
func startAgentEnv(c *gc.C, bin, dataDir string, acct account, env []string, points ...string) *agentProcess {
	a := &agentProcess{events: make(chan event), stderr: &lockedBuffer{}}
	a.cmd = exec.Command(bin, append([]string{"-datadir", dataDir}, points...)...)
	a.cmd.Dir = "/"
	a.cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/"}, env...)
	a.cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(acct.uid), Gid: uint32(acct.gid), Groups: []uint32{}},
	}
	a.cmd.Stderr = a.stderr
	var err error
	a.stdin, err = a.cmd.StdinPipe()
	c.Assert(err, gc.IsNil)
	stdout, err := a.cmd.StdoutPipe()
	c.Assert(err, gc.IsNil)
	c.Assert(a.cmd.Start(), gc.IsNil)
	go a.read(stdout)

	ready := a.next(c)
	c.Assert(ready.Kind, gc.Equals, "ready", gc.Commentf("agent's first line: %+v", ready))
	c.Assert(ready.EUID, gc.Equals, acct.uid, gc.Commentf("the agent must run as %s", acct.name))
	return a
}

// read turns the agent's stdout into events; a line that is not one
// becomes an event of kind "garbled", which no test expects.
func (a *agentProcess) read(stdout io.Reader) {
	defer close(a.events)
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		var e event
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			e = event{Kind: "garbled", Message: lines.Text()}
		}
		a.events <- e
	}
}

// next waits for the agent's next event.
func (a *agentProcess) next(c *gc.C) event {
	select {
	case e, ok := <-a.events:
		if !ok {
			c.Fatalf("the agent ended unexpectedly: %v; its stderr:\n%s", a.cmd.Wait(), a.stderr)
		}
		return e
	case <-time.After(patience):
		c.Fatalf("the agent said nothing for %v (round %d); its stderr:\n%s", patience, a.round, a.stderr)
	}
	panic("unreachable")
}

// doRound runs one round of the agent's loop and returns the points that
// fired in it, in the order the agent asks about them. Log entries written
// during the round are kept in a.logs.
func (a *agentProcess) doRound(c *gc.C) []string {
	a.round++
	_, err := io.WriteString(a.stdin, "round\n")
	c.Assert(err, gc.IsNil)
	for {
		e := a.next(c)
		switch e.Kind {
		case "log":
			a.logs = append(a.logs, e)
		case "round":
			c.Assert(e.Round, gc.Equals, a.round)
			if e.Fired == nil {
				return []string{}
			}
			return e.Fired
		default:
			c.Fatalf("unexpected line from the agent in round %d: %+v", a.round, e)
		}
	}
}

// doRounds runs n rounds and returns what fired in each.
func (a *agentProcess) doRounds(c *gc.C, n int) [][]string {
	fired := make([][]string, n)
	for i := range fired {
		fired[i] = a.doRound(c)
	}
	return fired
}

// logged returns the messages the agent's wrench logger wrote at level
// that contain text.
func (a *agentProcess) logged(level, text string) []string {
	var found []string
	for _, e := range a.logs {
		if e.Level == level && strings.Contains(e.Message, text) {
			found = append(found, e.Message)
		}
	}
	return found
}

// stop ends the agent by closing its input, as its loop expects, and
// checks that it went cleanly.
func (a *agentProcess) stop(c *gc.C) {
	if a.exited {
		return
	}
	a.exited = true
	a.stdin.Close()
	// A healthy agent ends at once; one that hangs is killed in the end.
	guard := time.AfterFunc(patience, func() { a.cmd.Process.Kill() })
	defer guard.Stop()
	for e := range a.events {
		c.Errorf("unexpected line from the agent as it ended: %+v", e)
	}
	c.Check(a.cmd.Wait(), gc.IsNil, gc.Commentf("agent's stderr:\n%s", a.stderr))
}
