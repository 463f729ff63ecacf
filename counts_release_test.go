package wrench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// Releases add up: in a process that runs throughout, releases of N1...Nk
// let exactly N1+...+Nk calls through, however the process reads them.

func (s *countSuite) TestBackToBackReleasesReadTogether(c *gc.C) {
	c.Assert(wrench.Set("agent", "held", "pause"), gc.IsNil)
	answers := s.pausedCalls(c, 3, "pause")
	// No paused call looks at the file between the two releases, so the
	// process reads only the second file.
	resume := wrench.HoldPausedCalls()
	defer resume()
	c.Assert(wrench.Release("agent", "held", 1), gc.IsNil)
	c.Assert(wrench.Release("agent", "held", 1), gc.IsNil)
	resume()
	c.Check(receive(c, answers, "the first released call"), gc.Equals, false)
	c.Check(receive(c, answers, "the second released call"), gc.Equals, false)
	s.waitFirings(c, `agent:held: pause fired (rule "2*off->pause"`, 1)
	c.Check(s.firings("agent:held: off fired"), gc.Equals, 2)
	nothingReturned(c, answers)
	wrench.SetEnabled(false)
	c.Check(receive(c, answers, "the call still paused"), gc.Equals, false)
}

func (s *countSuite) TestBackToBackReleasesReadOneByOne(c *gc.C) {
	c.Assert(wrench.Set("agent", "held", "pause"), gc.IsNil)
	answers := s.pausedCalls(c, 3, "pause")
	c.Assert(wrench.Release("agent", "held", 1), gc.IsNil)
	c.Check(receive(c, answers, "the first released call"), gc.Equals, false)
	s.waitFirings(c, `agent:held: pause fired (rule "1*off->pause"`, 2)
	nothingReturned(c, answers)
	// Another feature's edit wakes the paused calls, but held's line is
	// unchanged and its one call is spent: both pause again.
	c.Assert(wrench.Set("agent", "other", ""), gc.IsNil)
	s.waitFirings(c, `agent:held: pause fired (rule "1*off->pause"`, 4)
	nothingReturned(c, answers)

	c.Assert(wrench.Release("agent", "held", 1), gc.IsNil)
	c.Check(receive(c, answers, "the second released call"), gc.Equals, false)
	s.waitFirings(c, `agent:held: pause fired (rule "2*off->pause"`, 1)
	c.Check(s.firings("agent:held: off fired"), gc.Equals, 2)
	nothingReturned(c, answers)
	wrench.SetEnabled(false)
	c.Check(receive(c, answers, "the call still paused"), gc.Equals, false)
}

func (s *countSuite) TestReleasesAddUpWhileCallsArrive(c *gc.C) {
	c.Assert(wrench.Set("agent", "held", "pause"), gc.IsNil)
	answers := s.pausedCalls(c, 1, "pause")
	c.Assert(wrench.Release("agent", "held", 3), gc.IsNil)
	c.Check(receive(c, answers, "the paused call"), gc.Equals, false)
	c.Check(receive(c, callAsync("agent", "held"), "the 2nd call of 3"), gc.Equals, false)
	// One of the three is left when two more are released: four go on.
	c.Assert(wrench.Release("agent", "held", 2), gc.IsNil)
	c.Check(s.fileContent(c), gc.Equals, "held 5*off->pause\n")
	for i := range 3 {
		c.Check(receive(c, callAsync("agent", "held"), fmt.Sprintf("call %d of 5", i+3)), gc.Equals, false)
	}
	answers = s.pausedCalls(c, 1, "5*off->pause")
	c.Check(s.firings("agent:held: off fired"), gc.Equals, 5)

	// A process that starts now reads the line alone: five calls in all.
	cmd := childProcess("ask", s.dataDir)
	cmd.Env = append(cmd.Env, "WRENCH_TEST_FEATURES="+strings.Repeat("held ", 5))
	out, err := cmd.Output()
	c.Assert(err, gc.IsNil)
	c.Check(string(out), gc.Equals, strings.Repeat("held=false\n", 5))

	// Setting the rule to pause starts the sum again.
	c.Assert(wrench.Set("agent", "held", "pause"), gc.IsNil)
	s.waitFirings(c, `agent:held: pause fired (rule "pause"`, 2)
	c.Assert(wrench.Release("agent", "held", 1), gc.IsNil)
	c.Check(s.fileContent(c), gc.Equals, "held 1*off->pause\n")
	c.Check(receive(c, answers, "the call paused before"), gc.Equals, false)
	answers = s.pausedCalls(c, 1, "1*off->pause")
	wrench.SetEnabled(false)
	c.Check(receive(c, answers, "the call paused last"), gc.Equals, false)
}

func (s *countSuite) TestConcurrentReleasesAddUpExactly(c *gc.C) {
	// Callers that pass come back for more while releases, and edits of
	// another feature, are written back to back: exactly the sum passes.
	skipHammerOnWindows(c)
	c.Assert(wrench.Set("agent", "held", "pause"), gc.IsNil)
	var stopped atomic.Bool
	var wg sync.WaitGroup
	defer func() { // also when an assertion below fails: no caller outlives the test
		stopped.Store(true)
		wrench.SetEnabled(false)
		wg.Wait()
	}()
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped.Load() {
				wrench.IsActive("agent", "held")
			}
		}()
	}
	sum := 0
	for i := range 20 {
		n := i%4 + 1
		c.Assert(wrench.Release("agent", "held", n), gc.IsNil)
		sum += n
		if i%3 == 0 {
			c.Assert(wrench.Set("agent", fmt.Sprintf("other%d", i), ""), gc.IsNil)
		}
	}
	c.Check(s.fileContent(c), gc.Matches, fmt.Sprintf(`held %d\*off->pause\n(?s).*`, sum))
	// Every call that passes logs an off firing; count them once all the
	// callers are gone, so a late extra one cannot be missed.
	s.waitOffFirings(c, sum)
	stopped.Store(true)
	wrench.SetEnabled(false)
	wg.Wait()
	c.Check(s.firings("agent:held: off fired"), gc.Equals, sum)
}

// waitOffFirings waits until at least n off firings of agent:held are
// logged.
func (s *countSuite) waitOffFirings(c *gc.C, n int) {
	deadline := time.Now().Add(failAfter)
	for s.firings("agent:held: off fired") < n {
		if time.Now().After(deadline) {
			c.Fatalf("waited %v for %d calls to pass; saw %d", failAfter, n, s.firings("agent:held: off fired"))
		}
		time.Sleep(time.Millisecond)
	}
}

// pausedCalls starts n calls of agent:held and waits until all of them
// have paused under rule.
func (s *countSuite) pausedCalls(c *gc.C, n int, rule string) chan bool {
	answers := make(chan bool, n)
	for range n {
		go func() { answers <- wrench.IsActive("agent", "held") }()
	}
	s.waitFirings(c, fmt.Sprintf("agent:held: pause fired (rule %q", rule), n)
	nothingReturned(c, answers)
	return answers
}

// fileContent is the agent category file's content.
func (s *countSuite) fileContent(c *gc.C) string {
	data, err := os.ReadFile(filepath.Join(s.dir, "agent"))
	c.Assert(err, gc.IsNil)
	return string(data)
}
