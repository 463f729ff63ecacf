package wrench_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// failAfter bounds how long a test waits for something that should happen
// at once; it only turns a hang into a failure and never measures speed.
const failAfter = 20 * time.Second

type actionSuite struct{ baseSuite }

var _ = gc.Suite(&actionSuite{})

func (s *actionSuite) SetUpTest(c *gc.C) {
	s.baseSuite.SetUpTest(c)
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
}

// receive waits for a value on ch, failing the test if none comes.
func receive[T any](c *gc.C, ch <-chan T, what string) T {
	select {
	case v := <-ch:
		return v
	case <-time.After(failAfter):
		c.Fatalf("timed out waiting for %s", what)
	}
	panic("unreachable")
}

// callAsync runs IsActive in a goroutine and returns where its answer goes.
func callAsync(category, feature string) <-chan bool {
	ch := make(chan bool, 1)
	go func() { ch <- wrench.IsActive(category, feature) }()
	return ch
}

func (s *actionSuite) TestSleepHoldsNoLock(c *gc.C) {
	// A clock that holds each sleeper until the test lets it go, so the
	// test sees all four asleep at once: no lock serialises them.
	asleep := make(chan time.Duration)
	release := make(chan struct{})
	s.addRestore(wrench.SetSleep(func(d time.Duration, wake <-chan struct{}) {
		asleep <- d
		<-release
	}))
	s.writeFile(c, "agent", "slow-dial sleep(400ms)\nother\n")
	answers := make([]<-chan bool, 4)
	for i := range answers {
		answers[i] = callAsync("agent", "slow-dial")
	}
	for range answers {
		c.Check(receive(c, asleep, "a call to sleep"), gc.Equals, 400*time.Millisecond)
	}
	// Other points answer while four calls sleep in one rule.
	c.Check(wrench.IsActive("agent", "other"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "slow-dial-missing"), gc.Equals, false)
	close(release)
	for _, ch := range answers {
		c.Check(receive(c, ch, "a sleeping call"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.INFO, "agent:slow-dial: sleep fired"), gc.HasLen, 1)
}

func (s *actionSuite) TestSleepSleeps(c *gc.C) {
	// The real sleep: a short one must not return before its time.
	s.writeFile(c, "agent", "x sleep(30ms)\n")
	start := time.Now()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(time.Since(start) >= 30*time.Millisecond, gc.Equals, true)
}

func (s *actionSuite) TestDisableWakesSleepingAndPausedCalls(c *gc.C) {
	s.writeFile(c, "agent", "slow sleep(1h)\nheld pause\n")
	var answers []<-chan bool
	for i := 0; i < 3; i++ {
		answers = append(answers, callAsync("agent", "slow"), callAsync("agent", "held"))
	}
	// Every call is asleep or paused before the switch turns.
	s.waitFirings(c, "agent:slow: sleep fired", 3)
	s.waitFirings(c, "agent:held: pause fired", 3)
	for _, ch := range answers {
		nothingReturned(c, ch)
	}
	wrench.SetEnabled(false)
	for _, ch := range answers {
		c.Check(receive(c, ch, "a call woken by SetEnabled(false)"), gc.Equals, false)
	}
}

// pausedCalls starts n calls of agent:held and waits until all of them
// have paused under rule.
func (s *actionSuite) pausedCalls(c *gc.C, n int, rule string) chan bool {
	answers := make(chan bool, n)
	for i := 0; i < n; i++ {
		go func() { answers <- wrench.IsActive("agent", "held") }()
	}
	s.waitFirings(c, fmt.Sprintf("agent:held: pause fired (rule %q", rule), n)
	nothingReturned(c, answers)
	return answers
}

func (s *actionSuite) TestPauseResumesWhenTheRuleChanges(c *gc.C) {
	s.writeFile(c, "agent", "held pause\n")
	answers := s.pausedCalls(c, 2, "pause")
	// Evaluated afresh: the new rule says on.
	s.writeFile(c, "agent", "held on\n")
	c.Check(receive(c, answers, "a released call"), gc.Equals, true)
	c.Check(receive(c, answers, "a released call"), gc.Equals, true)
}

func (s *actionSuite) TestPauseResumesWhenTheFileIsRemoved(c *gc.C) {
	path := s.writeFile(c, "agent", "held pause\n")
	answers := s.pausedCalls(c, 2, "pause")
	c.Assert(os.Remove(path), gc.IsNil)
	c.Check(receive(c, answers, "a released call"), gc.Equals, false)
	c.Check(receive(c, answers, "a released call"), gc.Equals, false)
}

func (s *actionSuite) TestPauseResumesWhenTheFileIsTouched(c *gc.C) {
	// A touch wakes the paused calls, which are evaluated afresh. The line
	// is unchanged, so its count is kept: the one call 1*off->pause lets
	// through has gone, and both pause again.
	path := s.writeFile(c, "agent", "held 1*off->pause\n")
	c.Check(wrench.IsActive("agent", "held"), gc.Equals, false)
	answers := s.pausedCalls(c, 2, "1*off->pause")
	c.Assert(osChtimes(path, time.Now().Add(time.Hour)), gc.IsNil)
	s.waitFirings(c, "agent:held: pause fired", 4)
	c.Check(s.firings("agent:held: off fired"), gc.Equals, 1)
	nothingReturned(c, answers)
	wrench.SetEnabled(false)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
}

func (s *actionSuite) TestReleaseOneOfThreePausedCalls(c *gc.C) {
	s.writeFile(c, "agent", "held pause\n")
	answers := s.pausedCalls(c, 3, "pause")
	s.writeFile(c, "agent", "held 1*off->pause\n")
	c.Check(receive(c, answers, "the released call"), gc.Equals, false)
	s.waitFirings(c, `agent:held: off fired (rule "1*off->pause"`, 1)
	s.waitFirings(c, `agent:held: pause fired (rule "1*off->pause"`, 2)
	nothingReturned(c, answers)
	// K*off->pause lets K calls through in all: one more.
	s.writeFile(c, "agent", "held 2*off->pause\n")
	c.Check(receive(c, answers, "a released call"), gc.Equals, false)
	s.waitFirings(c, `agent:held: pause fired (rule "2*off->pause"`, 1)
	nothingReturned(c, answers)
	s.writeFile(c, "agent", "held 3*off->pause\n")
	c.Check(receive(c, answers, "a released call"), gc.Equals, false)
}

func (s *actionSuite) TestPauseHoldsNoLock(c *gc.C) {
	s.writeFile(c, "agent", "held pause\nother\n")
	answers := s.pausedCalls(c, 3, "pause")
	c.Check(wrench.IsActive("agent", "other"), gc.Equals, true)
	wrench.SetEnabled(false)
	for i := 0; i < 3; i++ {
		c.Check(receive(c, answers, "a paused call"), gc.Equals, false)
	}
}

func (s *actionSuite) TestPanicNamesCategoryAndFeature(c *gc.C) {
	s.writeFile(c, "agent", "crash panic\n")
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		wrench.IsActive("agent", "crash")
	}()
	p, ok := recovered.(*wrench.InjectedPanic)
	c.Assert(ok, gc.Equals, true, gc.Commentf("recovered %#v", recovered))
	c.Check(p.Category, gc.Equals, "agent")
	c.Check(p.Feature, gc.Equals, "crash")
	c.Check(p.Error(), gc.Equals, "wrench: injected panic at agent:crash")
	c.Check(s.logged(loggo.INFO, "agent:crash: panic fired"), gc.HasLen, 1)
}

func (s *actionSuite) TestExitHook(c *gc.C) {
	var codes []int
	s.addRestore(wrench.SetExit(func(code int) { codes = append(codes, code) }))
	s.writeFile(c, "agent", "a exit\nb exit(7)\n")
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "b"), gc.Equals, false)
	c.Check(codes, gc.DeepEquals, []int{1, 7})
	c.Check(s.logged(loggo.ERROR, "agent:b: exiting with status 7"), gc.HasLen, 1)
}

func (s *actionSuite) TestExitEndsTheProcess(c *gc.C) {
	s.writeFile(c, "agent", "die exit(42)\n")
	out, err := childProcess("exit", s.dataDir).CombinedOutput()
	exitErr, ok := err.(*exec.ExitError)
	c.Assert(ok, gc.Equals, true, gc.Commentf("err %v, output %s", err, out))
	c.Check(exitErr.ExitCode(), gc.Equals, 42)
	c.Check(string(out), gc.Matches, `(?s).*agent:die: exiting with status 42.*`)
	c.Check(strings.Contains(string(out), "after IsActive"), gc.Equals, false)
}

func (s *actionSuite) TestProcessesCountSeparately(c *gc.C) {
	// Counts live in each process: two processes reading one "1*on" file
	// each see it fire once.
	s.writeFile(c, "agent", "x 1*on\n")
	for i := 0; i < 2; i++ {
		cmd := childProcess("ask", s.dataDir)
		cmd.Env = append(cmd.Env, "WRENCH_TEST_FEATURES=x x")
		out, err := cmd.Output()
		c.Assert(err, gc.IsNil)
		c.Check(string(out), gc.Equals, "x=true\nx=false\n", gc.Commentf("process %d", i+1))
	}
	// And this process counts on its own too.
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
}

// childProcess runs this test binary as a small program (see TestMain)
// that calls IsActive("agent", ...) in dataDir.
func childProcess(role, dataDir string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WRENCH_TEST_CHILD="+role, "WRENCH_TEST_DATADIR="+dataDir)
	return cmd
}

func init() {
	// The child side of childProcess runs before any test.
	switch os.Getenv("WRENCH_TEST_CHILD") {
	case "":
		return
	case "exit":
		wrench.SetDataDir(os.Getenv("WRENCH_TEST_DATADIR"))
		wrench.IsActive("agent", "die")
		os.Stdout.WriteString("after IsActive: the process should have ended\n")
		os.Exit(0)
	case "ask":
		// Print the answer for each feature named on the command line.
		wrench.SetDataDir(os.Getenv("WRENCH_TEST_DATADIR"))
		for _, f := range strings.Fields(os.Getenv("WRENCH_TEST_FEATURES")) {
			if wrench.IsActive("agent", f) {
				os.Stdout.WriteString(f + "=true\n")
			} else {
				os.Stdout.WriteString(f + "=false\n")
			}
		}
		os.Exit(0)
	}
}
