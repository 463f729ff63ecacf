package wrench_test

import (
	"os"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// releaseSuite holds calls in a pause rule and lets them through with
// Release and Clear.
type releaseSuite struct {
	baseSuite
}

var _ = gc.Suite(&releaseSuite{})

func (s *releaseSuite) TestReleaseLetsNPausedCallsThrough(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	c.Assert(wrench.Set("agent", "start-hook", "pause"), gc.IsNil)

	returned := make(chan bool, 4)
	call := func() { returned <- wrench.IsActive("agent", "start-hook") }
	for range 3 {
		go call()
	}
	s.waitFirings(c, `start-hook: pause fired (rule "pause"`, 3)
	nothingReturned(c, returned)

	// Each paused call is evaluated afresh against "1*off->pause": one
	// passes, the other two pause again.
	c.Assert(wrench.Release("agent", "start-hook", 1), gc.IsNil)
	c.Check(receive(c, returned, "a paused call"), gc.Equals, false)
	s.waitFirings(c, `start-hook: off fired (rule "1*off->pause"`, 1)
	s.waitFirings(c, `start-hook: pause fired (rule "1*off->pause"`, 2)
	nothingReturned(c, returned)

	// Three more: the two still paused pass, and so does one new call;
	// the call after that pauses. Releases add up, so the line now says
	// four calls in all.
	c.Assert(wrench.Release("agent", "start-hook", 3), gc.IsNil)
	c.Check(receive(c, returned, "a paused call"), gc.Equals, false)
	c.Check(receive(c, returned, "a paused call"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "start-hook"), gc.Equals, false)
	s.waitFirings(c, `start-hook: off fired (rule "4*off->pause"`, 3)
	go call()
	s.waitFirings(c, `start-hook: pause fired (rule "4*off->pause"`, 1)
	nothingReturned(c, returned)

	// Clearing the rule lets it go for good.
	c.Assert(wrench.Clear("agent"), gc.IsNil)
	c.Check(receive(c, returned, "a paused call"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "start-hook"), gc.Equals, false)
}

func (s *releaseSuite) TestUnsetLetsPausedCallsGo(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	c.Assert(wrench.Set("agent", "start-hook", "pause"), gc.IsNil)
	c.Assert(wrench.Set("agent", "other", ""), gc.IsNil)
	returned := make(chan bool, 2)
	for range 2 {
		go func() { returned <- wrench.IsActive("agent", "start-hook") }()
	}
	s.waitFirings(c, `start-hook: pause fired (rule "pause"`, 2)
	c.Assert(wrench.Unset("agent", "start-hook"), gc.IsNil)
	c.Check(receive(c, returned, "a paused call"), gc.Equals, false)
	c.Check(receive(c, returned, "a paused call"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "other"), gc.Equals, true)
}

func (s *releaseSuite) TestReleaseRefusesToOverflow(c *gc.C) {
	path := s.writeFile(c, "agent", "start-hook 9223372036854775806*off->pause\n")
	c.Assert(wrench.Release("agent", "start-hook", 1), gc.IsNil)
	c.Check(wrench.Release("agent", "start-hook", 1), gc.ErrorMatches,
		`.*[/\\]agent:1: cannot release 1 more calls of "start-hook": its rule "9223372036854775807\*off->pause" lets 9223372036854775807 through already, and the total would overflow; set it to pause to start again from 0`)
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "start-hook 9223372036854775807*off->pause\n")
}
