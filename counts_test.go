package wrench_test

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// countSuite proves that counts belong to rules, not to file states: a
// rule whose line is unchanged keeps them when the file is rewritten,
// touched or replaced, a new or changed line starts fresh, and releases add
// up exactly.
type countSuite struct{ baseSuite }

var _ = gc.Suite(&countSuite{})

func (s *countSuite) SetUpTest(c *gc.C) {
	s.baseSuite.SetUpTest(c)
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
}

func (s *countSuite) TestEditsOfOtherFeaturesKeepCounts(c *gc.C) {
	c.Assert(wrench.Set("agent", "a", "2*on"), gc.IsNil)
	c.Check(sequence("agent", "a", 1), gc.Equals, "T")
	c.Assert(wrench.Set("agent", "b", "pause"), gc.IsNil)
	c.Check(sequence("agent", "a", 1), gc.Equals, "T")
	c.Assert(wrench.Release("agent", "b", 1), gc.IsNil)
	c.Check(sequence("agent", "a", 1), gc.Equals, "F")
	c.Assert(wrench.Unset("agent", "b"), gc.IsNil)
	c.Check(sequence("agent", "a", 1), gc.Equals, "F")
}

func (s *countSuite) TestUnchangedLineKeepsItsCounts(c *gc.C) {
	path := s.writeFile(c, "agent", "x 1*on\ny 1*on->1*off->repeat\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	c.Check(sequence("agent", "y", 1), gc.Equals, "T")

	// Rewritten with the same content.
	s.writeFile(c, "agent", "x 1*on\ny 1*on->1*off->repeat\n")
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	// Touched.
	c.Assert(osChtimes(path, time.Now().Add(time.Hour)), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	// Set to what it says already.
	c.Assert(wrench.Set("agent", "x", "1*on"), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	// Moved, spaced and commented differently, with a line added above:
	// feature and trigger are what make the line the same.
	s.writeFile(c, "agent", "# new\nz\ny 1*on->1*off->repeat\nx\t1*on   # spent\n")
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Check(sequence("agent", "z", 1), gc.Equals, "T")
	// y went on where it was in its chain, through all of this.
	c.Check(sequence("agent", "y", 3), gc.Equals, "FTF")
}

func (s *countSuite) TestChangedLineStartsFresh(c *gc.C) {
	s.writeFile(c, "agent", "x 1*on\ny 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	c.Check(sequence("agent", "y", 2), gc.Equals, "TF")

	s.writeFile(c, "agent", "x 2*on\ny 1*on\n")
	c.Check(sequence("agent", "x", 3), gc.Equals, "TTF")
	c.Check(sequence("agent", "y", 1), gc.Equals, "F")
	// A trigger that says the same in other words is a changed line,
	// which is one way to re-arm a spent rule.
	s.writeFile(c, "agent", "x 2*return\ny 1*on\n")
	c.Check(sequence("agent", "x", 3), gc.Equals, "TTF")

	// Unset and set again with no call in between: the process never saw
	// the file without y, so y's line is unchanged and stays spent.
	c.Assert(wrench.Unset("agent", "y"), gc.IsNil)
	c.Assert(wrench.Set("agent", "y", "1*on"), gc.IsNil)
	c.Check(sequence("agent", "y", 1), gc.Equals, "F")
	// With a call in between, the process saw y gone: y is new again.
	c.Assert(wrench.Unset("agent", "y"), gc.IsNil)
	c.Check(sequence("agent", "y", 1), gc.Equals, "F")
	c.Assert(wrench.Set("agent", "y", "1*on"), gc.IsNil)
	c.Check(sequence("agent", "y", 2), gc.Equals, "TF")
}

func (s *countSuite) TestRemovedFileSeenGoneStartsFresh(c *gc.C) {
	path := s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// Removed and made again while no call looked: to this process that
	// is the file replaced, and the line is unchanged.
	c.Assert(os.Remove(path), gc.IsNil)
	s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	// A call that finds no file ends the rule's state.
	c.Assert(os.Remove(path), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// So does one that finds no wrench directory.
	c.Assert(os.Rename(s.dir, s.dir+".away"), gc.IsNil)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Assert(os.Rename(s.dir+".away", s.dir), gc.IsNil)
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
}

func (s *countSuite) TestConcurrentRewritesNeverOverFire(c *gc.C) {
	// Callers on the old snapshot and on the new one count on one
	// counter: three firings in all, however the rewrites fall.
	skipHammerOnWindows(c)
	c.Assert(wrench.Set("agent", "x", "3*on"), gc.IsNil)
	var trues atomic.Int64
	stop := askConcurrently(4, func() error {
		if wrench.IsActive("agent", "x") {
			trues.Add(1)
		}
		return nil
	})
	defer stop() // also when an assertion below fails: no caller outlives the test
	for i := range 30 {
		c.Assert(wrench.Set("agent", fmt.Sprintf("other%d", i%4), "on"), gc.IsNil)
	}
	deadline := time.Now().Add(failAfter)
	for trues.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c.Assert(stop(), gc.IsNil)
	c.Check(trues.Load(), gc.Equals, int64(3))
}

// skipHammerOnWindows skips a test whose callers ask IsActive in a tight
// loop while the file is rewritten. On Windows every call opens the file,
// and a rename over a file that is open is refused (wine refuses it even
// with FILE_SHARE_DELETE), so the writer's retries run out; the counting
// these tests prove is the same code on every platform.
func skipHammerOnWindows(c *gc.C) {
	if runtime.GOOS == "windows" {
		c.Skip("callers in a tight loop keep the file open, and Windows refuses a rename over an open file")
	}
}
