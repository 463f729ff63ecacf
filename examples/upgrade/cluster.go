package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/juju/errors"
)

// patience is how long the coordinator waits for an agent's answer before
// it gives up. It guards against a hang; answers take milliseconds.
const patience = time.Minute

// message is one line from an agent: "KIND TEXT".
type message struct {
	kind, text string
}

// agentProcess is the coordinator's handle on one agent process.
type agentProcess struct {
	name    string
	dataDir string // its own: $dataDir/wrench holds its rules
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan message // closed when its stdout ends
}

// startAgent starts this program again as the agent called name.
func startAgent(self, name, dataDir string) (*agentProcess, error) {
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		return nil, errors.Annotatef(err, "making %s's data directory", name)
	}
	a := &agentProcess{name: name, dataDir: dataDir, lines: make(chan message, 16)}
	a.cmd = exec.Command(self, "agent", dataDir)
	a.cmd.Stderr = os.Stderr
	var err error
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		return nil, errors.Annotatef(err, "starting %s", name)
	}
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		return nil, errors.Annotatef(err, "starting %s", name)
	}
	if err := a.cmd.Start(); err != nil {
		return nil, errors.Annotatef(err, "starting %s", name)
	}
	go func() {
		defer close(a.lines)
		in := bufio.NewScanner(stdout)
		for in.Scan() {
			kind, text, _ := strings.Cut(in.Text(), " ")
			a.lines <- message{kind, text}
		}
	}()
	return a, nil
}

// request sends the agent a request and returns its reply, the first line
// whose kind is one of replies. Lines before it go to onOther, or are
// shown when it is nil; wrench's own log lines below INFO are not shown.
func (a *agentProcess) request(req string, replies []string, onOther func(message) error) (message, error) {
	if err := a.send(req); err != nil {
		return message{}, err
	}
	return a.await(req, replies, onOther)
}

// send sends the agent a request, without waiting for its reply.
func (a *agentProcess) send(req string) error {
	if _, err := fmt.Fprintln(a.stdin, req); err != nil {
		return errors.Annotatef(err, "asking %s to %s", a.name, req)
	}
	return nil
}

// await returns the agent's next line whose kind is one of replies, to
// the request req: see request.
func (a *agentProcess) await(req string, replies []string, onOther func(message) error) (message, error) {
	timeout := time.NewTimer(patience)
	defer timeout.Stop()
	for {
		select {
		case m, ok := <-a.lines:
			if !ok {
				return message{}, errors.Errorf("%s ended while asked to %s", a.name, req)
			}
			for _, r := range replies {
				if m.kind == r {
					return m, nil
				}
			}
			if m.kind == "error" {
				return message{}, errors.Errorf("%s: %s", a.name, m.text)
			}
			if onOther != nil {
				if err := onOther(m); err != nil {
					return message{}, err
				}
				continue
			}
			a.show(m)
		case <-timeout.C:
			return message{}, errors.Errorf("%s did not answer %q within %v", a.name, req, patience)
		}
	}
}

// show prints what an agent said that is worth a reader's attention: what
// wrench logged at INFO and above.
func (a *agentProcess) show(m message) {
	if m.kind != "log" {
		return
	}
	level, text, _ := strings.Cut(m.text, " ")
	if level == "DEBUG" || level == "TRACE" {
		return
	}
	say("      %s's wrench log: %s %s", a.name, level, text)
}

// stop ends the agent: cleanly by closing its input when it is idle, by
// killing it otherwise.
func (a *agentProcess) stop(kill bool) {
	if kill {
		a.cmd.Process.Kill()
	}
	a.stdin.Close()
	// An idle agent ends at once; one that does not is killed in the end.
	guard := time.AfterFunc(patience, func() { a.cmd.Process.Kill() })
	defer guard.Stop()
	for range a.lines {
	}
	a.cmd.Wait()
}

// cluster is the three agents and the place their data lives.
type cluster struct {
	tmp     string
	wrench  string // the built wrench command
	agents  []*agentProcess
	closing sync.Once
}

// newCluster builds the wrench command and starts the agents, each with a
// data directory of its own in a new temporary directory.
func newCluster(names ...string) (*cluster, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, errors.Annotate(err, "finding this program to start the agents")
	}
	tmp, err := os.MkdirTemp("", "wrench-upgrade-")
	if err != nil {
		return nil, errors.Annotate(err, "making a temporary directory")
	}
	cl := &cluster{tmp: tmp}
	if cl.wrench, err = buildWrench(tmp); err != nil {
		cl.close(true)
		return nil, err
	}
	for _, name := range names {
		a, err := startAgent(self, name, filepath.Join(tmp, name))
		if err != nil {
			cl.close(true)
			return nil, err
		}
		cl.agents = append(cl.agents, a)
	}
	return cl, nil
}

// agent returns the agent called name.
func (cl *cluster) agent(name string) *agentProcess {
	for _, a := range cl.agents {
		if a.name == name {
			return a
		}
	}
	panic("no agent " + name)
}

// close stops the agents and removes every file the example made.
// It may be called again, from a signal handler, and then does nothing.
func (cl *cluster) close(kill bool) {
	cl.closing.Do(func() {
		for _, a := range cl.agents {
			a.stop(kill)
		}
		os.RemoveAll(cl.tmp)
	})
}

// buildWrench builds the wrench command into dir, with the go command
// that runs this example.
func buildWrench(dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errors.Annotate(err, "the example builds the wrench command, so the go command must be in PATH")
	}
	bin := filepath.Join(dir, "wrench")
	say("Building the wrench command: go build -o %s github.com/go-wrench/wrench/cmd/wrench", bin)
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/go-wrench/wrench/cmd/wrench")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.Annotatef(err, "building the wrench command (run the example from the wrench repository):\n%s", out)
	}
	return bin, nil
}

// wrenchCommand runs the wrench command on an agent's data directory, as
// an operator would, and shows the command line, indented by indent, and
// what it printed.
func (cl *cluster) wrenchCommand(indent string, a *agentProcess, args ...string) error {
	full := append([]string{"--datadir", a.dataDir}, args...)
	say("%s$ wrench %s", indent, shellWords(full))
	out, err := exec.Command(cl.wrench, full...).CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line != "" {
			say("%s  %s", indent, line)
		}
	}
	return errors.Annotatef(err, "wrench %s", shellWords(full))
}

// shellWords joins args as a shell command line, quoting where needed.
func shellWords(args []string) string {
	words := make([]string, len(args))
	for i, arg := range args {
		if arg == "" || strings.ContainsAny(arg, " \t\n*?[]<>|&;()$`\\\"'~#") {
			arg = "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
		}
		words[i] = arg
	}
	return strings.Join(words, " ")
}

// say prints one line of the story.
func say(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
}
