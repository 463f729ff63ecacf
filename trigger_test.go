package wrench_test

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

type triggerSuite struct{ baseSuite }

var _ = gc.Suite(&triggerSuite{})

// sequence calls IsActive n times and writes the answers as T and F.
func sequence(category, feature string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if wrench.IsActive(category, feature) {
			b.WriteByte('T')
		} else {
			b.WriteByte('F')
		}
	}
	return b.String()
}

// draws makes the chance source return these numbers in turn (percent).
func (s *triggerSuite) draws(values ...float64) {
	i := 0
	s.addRestore(wrench.SetRandomPercent(func() float64 {
		v := values[i%len(values)]
		i++
		return v
	}))
}

func (s *triggerSuite) TestCountedChainRepeats(c *gc.C) {
	s.writeFile(c, "agent", "x 2*on->1*off->repeat\n")
	c.Check(sequence("agent", "x", 9), gc.Equals, "TTFTTFTTF")
}

func (s *triggerSuite) TestSpentWithoutRepeat(c *gc.C) {
	s.writeFile(c, "agent", "x 2*on->1*off\ny 1*off->on\n")
	c.Check(sequence("agent", "x", 6), gc.Equals, "TTFFFF")
	c.Check(sequence("agent", "y", 4), gc.Equals, "FTTT")
}

func (s *triggerSuite) TestChance(c *gc.C) {
	s.writeFile(c, "agent", "x 30%on\n")
	s.draws(29.999, 30, 0, 99.9)
	c.Check(sequence("agent", "x", 4), gc.Equals, "TFTF")
}

func (s *triggerSuite) TestMissedChancePassesToNextTerm(c *gc.C) {
	// 50%on misses on 70, so 1*off fires; then 1*off is spent, and a
	// miss leaves no term: false, without touching any count.
	s.writeFile(c, "agent", "x 50%on->1*off->on\ny 50%on->1*off\n")
	s.draws(70, 10, 70, 70)
	c.Check(sequence("agent", "x", 4), gc.Equals, "FTTT")
	s.draws(70, 70, 10)
	c.Check(sequence("agent", "y", 3), gc.Equals, "FFT")
}

func (s *triggerSuite) TestCountGoesDownOnlyWhenItsTermFires(c *gc.C) {
	// 2*on has a 50% chance: misses do not use up its count.
	s.writeFile(c, "agent", "x 50%2*on\n")
	s.draws(90, 90, 10, 90, 10, 10, 10)
	c.Check(sequence("agent", "x", 7), gc.Equals, "FFTFTFF")
}

func (s *triggerSuite) TestRepeatRestartsInTheSameCall(c *gc.C) {
	// After 1*on and 1*off are spent, the third call restarts the counts
	// and fires 1*on itself: it does not return false for the restart.
	s.writeFile(c, "agent", "x 1*on->1*off->repeat\n")
	c.Check(sequence("agent", "x", 5), gc.Equals, "TFTFT")
}

func (s *triggerSuite) TestRepeatWithChanceMisses(c *gc.C) {
	// A miss on a counted term is not "spent": no restart happens.
	s.writeFile(c, "agent", "x 50%1*on->repeat\n")
	s.draws(10, 90, 10, 10)
	c.Check(sequence("agent", "x", 4), gc.Equals, "TFTT")
}

func (s *triggerSuite) TestRulesCountSeparately(c *gc.C) {
	s.writeFile(c, "agent", "x 1*on\ny 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	c.Check(sequence("agent", "y", 2), gc.Equals, "TF")
}

func (s *triggerSuite) TestRealRandomSourceIsRoughlyFair(c *gc.C) {
	// A sanity check of the real source, with margins no fair coin misses.
	s.writeFile(c, "agent", "x 25%on\n")
	hits := strings.Count(sequence("agent", "x", 20000), "T")
	c.Check(hits > 4000 && hits < 6000, gc.Equals, true, gc.Commentf("%d hits of 20000 at 25%%", hits))
}

func (s *triggerSuite) TestPrintLogsAndReturnsFalse(c *gc.C) {
	s.writeFile(c, "agent", "x print\n")
	c.Check(sequence("agent", "x", 3), gc.Equals, "FFF")
	c.Check(s.logged(loggo.INFO, "agent:x: print fired"), gc.HasLen, 1)
	c.Check(s.logged(loggo.DEBUG, "agent:x: print fired"), gc.HasLen, 2)
}

func (s *triggerSuite) TestOffIsLoggedAtTrace(c *gc.C) {
	// Letting a call through is not a fault: nothing above TRACE.
	s.writeFile(c, "agent", "x 1*off->on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "FT")
	c.Check(s.logged(loggo.TRACE, `agent:x: off fired (rule "1*off->on")`), gc.HasLen, 1)
	c.Check(s.logged(loggo.INFO, "off fired"), gc.HasLen, 0)
	c.Check(s.logged(loggo.DEBUG, "off fired"), gc.HasLen, 0)
	c.Check(s.logged(loggo.INFO, `agent:x: on fired`), gc.HasLen, 1)
}

func (s *triggerSuite) TestFirstFiringLoggedAtInfoPerFileState(c *gc.C) {
	s.writeFile(c, "agent", "x on\ny off\n")
	for i := 0; i < 1000; i++ {
		wrench.IsActive("agent", "x")
	}
	c.Check(s.logged(loggo.INFO, `agent:x: on fired (rule "on", line 1)`), gc.HasLen, 1)
	c.Check(s.logged(loggo.DEBUG, "agent:x: on fired"), gc.HasLen, 999)
	s.writeFile(c, "agent", "x on\n")
	wrench.IsActive("agent", "x")
	c.Check(s.logged(loggo.INFO, "agent:x: on fired"), gc.HasLen, 2)
}

func (s *triggerSuite) TestBadLinesLoggedOncePerFileState(c *gc.C) {
	path := filepath.Join(s.dir, "agent")
	bad := []string{"unknown-action bogus", "bad-duration sleep(2x)", "double-percent 30%%on",
		"zero 0%on", "over 101%on", "zero-count 0*on", "negative -2*on", "dangling on->",
		"unclosed sleep(1s", "uncounted-repeat 1*on->off->repeat", "extra on fields"}
	s.writeFile(c, "agent", "good\n"+strings.Join(bad, "\n")+"\n")
	for i := 0; i < 1000; i++ {
		c.Assert(wrench.IsActive("agent", "good"), gc.Equals, true)
	}
	for i, line := range bad {
		feature := strings.Fields(line)[0]
		c.Check(wrench.IsActive("agent", feature), gc.Equals, false, gc.Commentf("%s", line))
		c.Check(s.logged(loggo.WARNING, fmt.Sprintf("%s:%d: ", path, i+2)), gc.HasLen, 1, gc.Commentf("%s", line))
	}
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, len(bad))
}
