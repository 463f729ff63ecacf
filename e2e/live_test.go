//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	gc "gopkg.in/check.v1"
)

// liveSuite proves the live state (SPEC 7) with real agent processes,
// some running as other users, and the built wrench command: status,
// wait, --wait, and stepping paused hooks in a chosen order. Nothing in
// it sleeps: every step waits on a condition (a wait command, an event
// from an agent, or a status that shows what is expected) with a
// deadline.
type liveSuite struct {
	agentAcct, otherAcct account
	work                 string
	wrenchBin, agentBin  string

	dataDir, wrenchDir string // root's, 0755, as under /var/lib
	agents             []*agentProcess
}

var _ = gc.Suite(&liveSuite{})

func (s *liveSuite) SetUpSuite(c *gc.C) {
	s.agentAcct = ensureUser(c, theTools.useradd, agentUser)
	s.otherAcct = ensureUser(c, theTools.useradd, otherUser)
	s.work = workDir(c, "wrench-live-")
	bin := filepath.Join(s.work, "bin")
	c.Assert(os.Mkdir(bin, 0o755), gc.IsNil)
	s.wrenchBin = goBuild(c, "github.com/go-wrench/wrench/cmd/wrench", filepath.Join(bin, "wrench"))
	s.agentBin = filepath.Join(bin, "testagent")
	args := []string{"build", "-o", s.agentBin}
	if raceEnabled {
		args = append(args, "-race") // the agents' side of the live state too
	}
	output, err := exec.Command(theTools.goTool, append(args, "github.com/go-wrench/wrench/e2e/testagent")...).CombinedOutput()
	c.Assert(err, gc.IsNil, gc.Commentf("go build testagent:\n%s", output))
	c.Assert(os.Chmod(s.agentBin, 0o755), gc.IsNil)
}

func (s *liveSuite) TearDownSuite(c *gc.C) {
	if s.work != "" {
		os.RemoveAll(s.work)
	}
}

func (s *liveSuite) SetUpTest(c *gc.C) {
	dir, err := os.MkdirTemp(s.work, "test-")
	c.Assert(err, gc.IsNil)
	c.Assert(os.Chmod(dir, 0o755), gc.IsNil)
	root := account{name: "root"}
	s.dataDir = ownedDir(c, filepath.Join(dir, "data"), root)
	s.wrenchDir = ownedDir(c, filepath.Join(s.dataDir, "wrench"), root)
	s.agents = nil
}

func (s *liveSuite) TearDownTest(c *gc.C) {
	for _, a := range s.agents {
		if !a.exited {
			a.exited = true
			a.stdin.Close()
			for e := range a.events {
				_ = e // held calls woken as the agent ends, and their logs
			}
			// An agent built with -race exits 66 when it saw a race.
			c.Check(a.cmd.Wait(), gc.IsNil, gc.Commentf("agent's stderr:\n%s", a.stderr))
		}
	}
}

// liveDir gives acct's processes a place for their live state under the
// root-owned wrench directory, as the docs tell an operator to:
// install -d -o USER -m 0755 WRENCHDIR/.live-UID.
func (s *liveSuite) liveDir(c *gc.C, acct account) {
	ownedDir(c, filepath.Join(s.wrenchDir, ".live-"+strconv.Itoa(acct.uid)), acct)
}

// agent starts a testagent as acct with env, asking about points each round.
func (s *liveSuite) agent(c *gc.C, acct account, env []string, points ...string) *agentProcess {
	a := startAgentEnv(c, s.agentBin, s.dataDir, acct, env, points...)
	s.agents = append(s.agents, a)
	return a
}

// wrench runs the built command as root with args after --datadir, and
// returns its stdout, stderr and exit status.
func (s *liveSuite) wrench(c *gc.C, stdin string, args ...string) (stdout, stderr string, code int) {
	cmd := exec.Command(s.wrenchBin, append([]string{"--datadir", s.dataDir}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			c.Fatalf("cannot run wrench %v: %v", args, err)
		}
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// ok runs the command and requires exit status 0.
func (s *liveSuite) ok(c *gc.C, args ...string) string {
	out, errOut, code := s.wrench(c, "", args...)
	c.Assert(code, gc.Equals, 0, gc.Commentf("wrench %v: stdout:\n%s\nstderr:\n%s", args, out, errOut))
	return out
}

// status is "wrench status --json", decoded.
func (s *liveSuite) status(c *gc.C, categories ...string) statusDoc {
	out := s.ok(c, append([]string{"status", "--json"}, categories...)...)
	var st statusDoc
	c.Assert(json.Unmarshal([]byte(out), &st), gc.IsNil, gc.Commentf("%s", out))
	return st
}

// waitStatus waits until cond holds for the status of categories.
func (s *liveSuite) waitStatus(c *gc.C, what string, cond func(statusDoc) bool, categories ...string) statusDoc {
	deadline := time.Now().Add(patience)
	for {
		st := s.status(c, categories...)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			c.Fatalf("waited %v for %s; last status: %+v", patience, what, st)
		}
		time.Sleep(10 * time.Millisecond) // the waiting side polls, as wait does
	}
}

// statusDoc is status --json, as far as the tests read it.
type statusDoc struct {
	Categories []struct {
		Category  string `json:"category"`
		Version   string `json:"version"`
		Processes []struct {
			PID     int    `json:"pid"`
			EUID    int    `json:"euid"`
			Seed    string `json:"seed"`
			Exact   bool   `json:"exact"`
			Version string `json:"version"`
			Loaded  bool   `json:"loaded"`
			Rules   []struct {
				Feature   string `json:"feature"`
				Trigger   string `json:"trigger"`
				Evaluated uint64 `json:"evaluated"`
				Fired     uint64 `json:"fired"`
				Remaining []int  `json:"remaining"`
				Paused    int64  `json:"paused"`
			} `json:"rules"`
			Unruled []struct {
				Feature string `json:"feature"`
				Calls   uint64 `json:"calls"`
			} `json:"unruled"`
		} `json:"processes"`
	} `json:"categories"`
	Ignored []struct {
		Path   string `json:"path"`
		Reason string `json:"reason"`
	} `json:"ignored"`
}

// pids are the pids of the live processes status shows reading category.
func (st statusDoc) pids(category string) []int {
	pids := []int{}
	for _, cs := range st.Categories {
		if cs.Category == category {
			for _, p := range cs.Processes {
				pids = append(pids, p.PID)
			}
		}
	}
	return pids
}

// returned waits for the agent to say a call started with "go" returned,
// and gives its point.
func (a *agentProcess) returned(c *gc.C) string {
	for {
		e := a.next(c)
		switch e.Kind {
		case "log":
			a.logs = append(a.logs, e)
		case "returned":
			return e.Point
		default:
			c.Fatalf("unexpected line from the agent: %+v", e)
		}
	}
}

// goAsk makes the agent ask about point once, on a goroutine of its own.
func (a *agentProcess) goAsk(c *gc.C, point string) {
	_, err := io.WriteString(a.stdin, "go "+point+"\n")
	c.Assert(err, gc.IsNil)
}

// noneReturned checks that no call has returned: the agent has said
// nothing but logs since. Callers know every call still out is held.
func (a *agentProcess) noneReturned(c *gc.C) {
	for {
		select {
		case e := <-a.events:
			if e.Kind == "log" {
				a.logs = append(a.logs, e)
				continue
			}
			c.Fatalf("a held call returned: %+v", e)
		default:
			return
		}
	}
}

// The harness's manual mode: three hooks held, released one at a time in
// an order the test chooses, with wait --paused and release, no sleeps.
func (s *liveSuite) TestSteppingThreePausedHooksInAChosenOrder(c *gc.C) {
	s.liveDir(c, s.agentAcct)
	s.ok(c, "set", "machine-agent", "hook-a", "pause")
	s.ok(c, "set", "machine-agent", "hook-b", "pause")
	s.ok(c, "set", "machine-agent", "hook-c", "pause")
	a := s.agent(c, s.agentAcct, nil, "machine-agent:unused")
	hooks := []string{"hook-a", "hook-b", "hook-c"}
	for _, h := range hooks {
		a.goAsk(c, "machine-agent:"+h)
	}
	for _, h := range hooks {
		s.ok(c, "wait", "machine-agent", h, "--paused", "1", "--timeout", patience.String())
	}
	a.noneReturned(c)
	st := s.status(c, "machine-agent")
	c.Assert(st.pids("machine-agent"), gc.DeepEquals, []int{a.cmd.Process.Pid})
	c.Check(st.Categories[0].Processes[0].EUID, gc.Equals, s.agentAcct.uid)
	for _, r := range st.Categories[0].Processes[0].Rules {
		c.Check(r.Paused, gc.Equals, int64(1), gc.Commentf("%s", r.Feature))
	}

	for i, h := range []string{"hook-b", "hook-c", "hook-a"} {
		s.ok(c, "release", "machine-agent", h)
		c.Check(a.returned(c), gc.Equals, "machine-agent:"+h, gc.Commentf("release %d", i+1))
		// The ones still held are held again, at their unchanged rules.
		for _, other := range hooks {
			released := false
			for _, done := range []string{"hook-b", "hook-c", "hook-a"}[:i+1] {
				released = released || done == other
			}
			if !released {
				s.ok(c, "wait", "machine-agent", other, "--paused", "1", "--timeout", patience.String())
			}
		}
		a.noneReturned(c)
	}
	// All three went, each once: released calls fired the off term.
	st = s.status(c, "machine-agent")
	for _, r := range st.Categories[0].Processes[0].Rules {
		c.Check(r.Paused, gc.Equals, int64(0), gc.Commentf("%s", r.Feature))
		c.Check(r.Trigger, gc.Equals, "1*off->pause")
		c.Check(r.Remaining, gc.DeepEquals, []int{0, -1}, gc.Commentf("%s", r.Feature))
	}
}

// Several agents as several users, one killed with SIGKILL: its state is
// never shown as live, and is cleaned up.
func (s *liveSuite) TestSeveralAgentsAndOneKilled(c *gc.C) {
	s.liveDir(c, s.agentAcct)
	s.liveDir(c, s.otherAcct)
	s.ok(c, "set", "unit-agent", "x", "on")
	root := account{name: "root"}
	a1 := s.agent(c, s.agentAcct, nil, "unit-agent:x")
	a2 := s.agent(c, s.otherAcct, nil, "unit-agent:x")
	a3 := s.agent(c, root, nil, "unit-agent:x")
	for _, a := range []*agentProcess{a1, a2, a3} {
		c.Assert(a.doRound(c), gc.DeepEquals, []string{"unit-agent:x"})
	}
	want := []int{a1.cmd.Process.Pid, a2.cmd.Process.Pid, a3.cmd.Process.Pid}
	st := s.waitStatus(c, "three agents", func(st statusDoc) bool {
		return len(st.pids("unit-agent")) == 3
	}, "unit-agent")
	c.Check(sortedInts(st.pids("unit-agent")), gc.DeepEquals, sortedInts(want))
	euids := map[int]int{}
	for _, p := range st.Categories[0].Processes {
		euids[p.PID] = p.EUID
		c.Check(p.Rules[0].Fired, gc.Equals, uint64(1))
	}
	c.Check(euids, gc.DeepEquals, map[int]int{a1.cmd.Process.Pid: s.agentAcct.uid, a2.cmd.Process.Pid: s.otherAcct.uid, a3.cmd.Process.Pid: 0})

	// SIGKILL: the agent removes nothing. Once it is gone, its state is
	// not shown, and the first reader removes it.
	killed := filepath.Join(s.wrenchDir, ".live-0", strconv.Itoa(a3.cmd.Process.Pid))
	_, err := os.Stat(killed)
	c.Assert(err, gc.IsNil)
	c.Assert(a3.cmd.Process.Signal(syscall.SIGKILL), gc.IsNil)
	a3.exited = true
	c.Assert(a3.cmd.Wait(), gc.ErrorMatches, "signal: killed")
	st = s.status(c, "unit-agent")
	c.Check(sortedInts(st.pids("unit-agent")), gc.DeepEquals, sortedInts(want[:2]))
	_, err = os.Stat(killed)
	c.Check(os.IsNotExist(err), gc.Equals, true, gc.Commentf("%v", err))

	// A state another user could have written is ignored, with why.
	forged := filepath.Join(s.wrenchDir, ".live-"+strconv.Itoa(s.agentAcct.uid), strconv.Itoa(a1.cmd.Process.Pid))
	c.Assert(os.Chmod(forged, 0o646), gc.IsNil)
	st = s.status(c, "unit-agent")
	c.Check(st.pids("unit-agent"), gc.DeepEquals, []int{a2.cmd.Process.Pid})
	c.Assert(st.Ignored, gc.HasLen, 1)
	c.Check(st.Ignored[0].Path, gc.Equals, forged)
	c.Check(st.Ignored[0].Reason, gc.Equals, "is writable by others (mode 0646)")
	text := s.ok(c, "status", "unit-agent")
	c.Check(text, gc.Matches, `(?s).*ignored `+forged+`: is writable by others \(mode 0646\)\n.*`)

	// An agent that turns wrench off removes its state at once.
	_, err = io.WriteString(a2.stdin, "off\n")
	c.Assert(err, gc.IsNil)
	c.Assert(a2.next(c).Kind, gc.Equals, "off")
	_, err = os.Stat(filepath.Join(s.wrenchDir, ".live-"+strconv.Itoa(s.otherAcct.uid), strconv.Itoa(a2.cmd.Process.Pid)))
	c.Check(os.IsNotExist(err), gc.Equals, true)
}

// A non-root agent under a root-owned wrench directory with no place
// made for it warns once, and is not seen; everything else works.
func (s *liveSuite) TestAgentWithNoPlaceToWriteWarns(c *gc.C) {
	s.ok(c, "set", "unit-agent", "x", "on")
	a := s.agent(c, s.agentAcct, nil, "unit-agent:x")
	for i := 0; i < 3; i++ {
		c.Assert(a.doRound(c), gc.DeepEquals, []string{"unit-agent:x"})
	}
	dir := filepath.Join(s.wrenchDir, ".live-"+strconv.Itoa(s.agentAcct.uid))
	deadline := time.Now().Add(patience)
	for len(a.logged("WARNING", "cannot write live state")) == 0 {
		if time.Now().After(deadline) {
			c.Fatalf("no warning; logs: %+v", a.logs)
		}
		a.doRound(c) // logs arrive with rounds
	}
	warned := a.logged("WARNING", "cannot write live state")
	c.Check(warned, gc.HasLen, 1)
	c.Check(warned[0], gc.Matches, `.*permission denied.*install -d -o `+strconv.Itoa(s.agentAcct.uid)+` -m 0755 `+dir+`\)`)
	c.Check(s.status(c, "unit-agent").pids("unit-agent"), gc.DeepEquals, []int{})
}

// wait --fired, and wait's timeout printing the last state it saw.
func (s *liveSuite) TestWaitFired(c *gc.C) {
	s.liveDir(c, s.agentAcct)
	s.ok(c, "set", "machine-agent", "run-hook", "2*on->1*off->repeat")
	a := s.agent(c, s.agentAcct, nil, "machine-agent:run-hook")
	c.Assert(a.doRound(c), gc.DeepEquals, []string{"machine-agent:run-hook"})

	// A wait started before the firings it waits for.
	w := exec.Command(s.wrenchBin, "--datadir", s.dataDir, "wait", "--fired", "4", "machine-agent", "run-hook", "--timeout", patience.String())
	var wOut bytes.Buffer
	w.Stdout, w.Stderr = &wOut, &wOut
	c.Assert(w.Start(), gc.IsNil)
	a.doRounds(c, 3)
	c.Assert(w.Wait(), gc.IsNil, gc.Commentf("%s", wOut.String()))

	// Timing out: exit 1, the last state on stdout.
	out, errOut, code := s.wrench(c, "", "wait", "machine-agent", "run-hook", "--fired", "100", "--timeout", "200ms")
	c.Check(code, gc.Equals, 1)
	c.Check(errOut, gc.Matches, `wrench: wait: timed out after 200ms waiting for 100 firings in machine-agent:run-hook\n`)
	c.Check(out, gc.Matches, `(?s)machine-agent: file .*pid `+strconv.Itoa(a.cmd.Process.Pid)+` testagent, uid `+strconv.Itoa(s.agentAcct.uid)+`.*run-hook +2\*on->1\*off->repeat +1 +4 +4 +1,1 +0 +0 .*`)

	// No live process: it says it saw none.
	out, _, code = s.wrench(c, "", "wait", "nobody-reads", "x", "--paused", "1", "--timeout", "100ms")
	c.Check(code, gc.Equals, 1)
	c.Check(out, gc.Equals, "no live process reads nobody-reads\n")

	// Usage: no condition, two conditions, a bad number.
	for _, args := range [][]string{
		{"wait", "machine-agent", "run-hook"},
		{"wait", "machine-agent", "run-hook", "--paused", "1", "--fired", "1"},
		{"wait", "machine-agent", "run-hook", "--paused", "x"},
		{"wait", "machine-agent", "--paused", "1"},
	} {
		_, _, code := s.wrench(c, "", args...)
		c.Check(code, gc.Equals, 2, gc.Commentf("%v", args))
	}
}

// --wait on a write returns once every live process reading the category
// serves the new file: at once with none.
func (s *liveSuite) TestWaitOnWrites(c *gc.C) {
	s.liveDir(c, s.agentAcct)
	_, errOut, code := s.wrench(c, "", "set", "--wait", "machine-agent", "refuse-upgrade")
	c.Check(code, gc.Equals, 0, gc.Commentf("%s", errOut))
	a := s.agent(c, s.agentAcct, nil, "machine-agent:refuse-upgrade")
	c.Assert(a.doRound(c), gc.DeepEquals, []string{"machine-agent:refuse-upgrade"})
	s.waitStatus(c, "the agent's state", func(st statusDoc) bool { return len(st.pids("machine-agent")) == 1 }, "machine-agent")
	for _, args := range [][]string{
		{"set", "machine-agent", "refuse-upgrade", "1*on", "--wait=20s"},
		{"release", "machine-agent", "refuse-upgrade", "--wait"}, // refused: no pause
		{"unset", "--wait", "machine-agent", "refuse-upgrade"},
		{"clear", "--wait=5s"},
	} {
		_, errOut, code := s.wrench(c, "", args...)
		if args[0] == "release" {
			c.Check(code, gc.Equals, 1, gc.Commentf("%s", errOut))
			continue
		}
		c.Check(code, gc.Equals, 0, gc.Commentf("%v: %s", args, errOut))
		s.checkServed(c, a, args)
	}
	_, errOut, code = s.wrench(c, "x\n", "apply", "machine-agent", "--wait")
	c.Check(code, gc.Equals, 0, gc.Commentf("%s", errOut))
	s.checkServed(c, a, []string{"apply"})
	// A bad duration is a usage error.
	_, _, code = s.wrench(c, "", "set", "machine-agent", "x", "--wait=soon")
	c.Check(code, gc.Equals, 2)
}

// checkServed checks, once and at once, that the idle agent a (in watched
// mode: it answers from what its watcher has verified, and makes no call
// meanwhile) serves the category file as it is now: what --wait on the
// write args promised when it returned.
func (s *liveSuite) checkServed(c *gc.C, a *agentProcess, args []string) {
	st := s.status(c, "machine-agent")
	c.Assert(st.Categories, gc.HasLen, 1, gc.Commentf("%v: %+v", args, st))
	cs := st.Categories[0]
	c.Assert(cs.Processes, gc.HasLen, 1, gc.Commentf("%v: %+v", args, st))
	p := cs.Processes[0]
	c.Check(p.PID, gc.Equals, a.cmd.Process.Pid)
	c.Check(p.Exact, gc.Equals, false, gc.Commentf("the agent must be watched, or --wait has nothing to wait for"))
	c.Check(p.Version, gc.Equals, cs.Version, gc.Commentf("%v: the agent serves another file than the one written", args))
	c.Check(p.Loaded, gc.Equals, true, gc.Commentf("%v", args))
}

// The typo: the agent asks refuse-upgrade, the file says refuse-upgrad.
// status shows the feature asked without a rule; set of a feature no
// live agent asked for warns, and still writes.
func (s *liveSuite) TestTypoShownAndSetWarns(c *gc.C) {
	s.liveDir(c, s.agentAcct)
	// No live reader: no warning.
	_, errOut, code := s.wrench(c, "", "set", "machine-agent", "refuse-upgrad")
	c.Assert(code, gc.Equals, 0)
	c.Check(errOut, gc.Equals, "")
	a := s.agent(c, s.agentAcct, nil, "machine-agent:refuse-upgrade")
	c.Assert(a.doRounds(c, 3), gc.DeepEquals, [][]string{{}, {}, {}})
	// Calls evaluated are published lazily, within a second.
	st := s.waitStatus(c, "the agent's 3 calls of a feature with no rule", func(st statusDoc) bool {
		if len(st.Categories) != 1 || len(st.Categories[0].Processes) != 1 {
			return false
		}
		un := st.Categories[0].Processes[0].Unruled
		return len(un) == 1 && un[0].Calls == 3
	}, "machine-agent")
	p := st.Categories[0].Processes[0]
	c.Check(p.Unruled[0].Feature, gc.Equals, "refuse-upgrade")
	c.Check(p.Unruled[0].Calls, gc.Equals, uint64(3))
	c.Check(p.Rules[0].Feature, gc.Equals, "refuse-upgrad")
	c.Check(p.Rules[0].Evaluated, gc.Equals, uint64(0))
	text := s.ok(c, "status")
	c.Check(text, gc.Matches, `(?s).*asked without a rule: refuse-upgrade \(3 calls\)\n.*`)

	_, errOut, code = s.wrench(c, "", "set", "machine-agent", "refuse-upgrad", "1*on")
	c.Check(code, gc.Equals, 0)
	c.Check(errOut, gc.Equals, "wrench: set: warning: no live process reading machine-agent has asked for refuse-upgrad (they ask for refuse-upgrade)\n")
	_, errOut, code = s.wrench(c, "", "set", "machine-agent", "refuse-upgrade")
	c.Check(code, gc.Equals, 0)
	c.Check(errOut, gc.Equals, "")
	c.Check(a.doRound(c), gc.DeepEquals, []string{"machine-agent:refuse-upgrade"})
}

// WRENCH_SEED replays a run: two agents with one seed make the same
// decisions, and status shows the seed.
func (s *liveSuite) TestReplayWithASeed(c *gc.C) {
	s.liveDir(c, s.agentAcct)
	s.ok(c, "set", "machine-agent", "fail-lease", "30%on")
	s.ok(c, "set", "machine-agent", "run-hook", "50%on->20%sleep(1ms)")
	seed := []string{"WRENCH_SEED=4242"}
	runs := make([][][]string, 3)
	for i := range runs {
		env := seed
		if i == 2 {
			env = []string{"WRENCH_SEED=4243"}
		}
		a := s.agent(c, s.agentAcct, env, "machine-agent:fail-lease", "machine-agent:run-hook")
		runs[i] = a.doRounds(c, 200)
		if i == 0 {
			st := s.waitStatus(c, "the first agent's state", func(st statusDoc) bool { return len(st.pids("machine-agent")) == 1 }, "machine-agent")
			c.Check(st.Categories[0].Processes[0].Seed, gc.Equals, "4242")
			c.Check(a.logged("INFO", "seed 4242"), gc.Not(gc.HasLen), 0)
		}
		a.stop(c)
	}
	c.Check(runs[1], gc.DeepEquals, runs[0])
	c.Check(fmt.Sprint(runs[2]), gc.Not(gc.Equals), fmt.Sprint(runs[0]))
}

func sortedInts(in []int) []int {
	out := append([]int(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
