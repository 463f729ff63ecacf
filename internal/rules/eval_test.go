package rules

import (
	"strings"
	"testing"

	gc "gopkg.in/check.v1"
)

// evalSuite tests choosing a term, off the disk and without the actions.
type evalSuite struct {
	random func() float64 // RandomPercent before the test
}

var _ = gc.Suite(&evalSuite{})

func (s *evalSuite) SetUpTest(*gc.C)    { s.random = RandomPercent }
func (s *evalSuite) TearDownTest(*gc.C) { RandomPercent = s.random }

// live parses "feature trigger" and starts it fresh.
func live(c *gc.C, line string) *Live {
	r, err := ParseLine(line)
	c.Assert(err, gc.IsNil)
	l := NewLive(r, 1)
	return &l
}

// choices chooses n times and writes each term chosen as its action's
// name, "-" for none.
func choices(l *Live, n int) string {
	var out []string
	for i := 0; i < n; i++ {
		if t := l.Choose(); t != nil {
			out = append(out, t.Name)
		} else {
			out = append(out, "-")
		}
	}
	return strings.Join(out, " ")
}

// draws makes chance draws return these numbers in turn (percent), until
// the test ends.
func draws(values ...float64) {
	i := 0
	RandomPercent = func() float64 {
		v := values[i%len(values)]
		i++
		return v
	}
}

func (*evalSuite) TestCountedChainRepeatsInTheSameCall(c *gc.C) {
	c.Check(choices(live(c, "x 2*on->1*off->repeat"), 6), gc.Equals, "on on off on on off")
	c.Check(choices(live(c, "x 1*on->1*off"), 4), gc.Equals, "on off - -")
}

func (*evalSuite) TestMissedChancePassesToNextTerm(c *gc.C) {
	draws(70, 10, 70, 70)
	c.Check(choices(live(c, "x 50%on->1*off->on"), 4), gc.Equals, "off on on on")
}

func (*evalSuite) TestCarryOverSharesCountsOfAnUnchangedLine(c *gc.C) {
	old := live(c, "x 2*on")
	c.Check(choices(old, 1), gc.Equals, "on")
	same := live(c, "x 2*on")
	same.CarryOver(old)
	c.Check(choices(same, 2), gc.Equals, "on -")
	c.Check(choices(old, 1), gc.Equals, "-") // one counter, not two

	changed := live(c, "x 1*return->on")
	changed.CarryOver(old)
	c.Check(choices(changed, 2), gc.Equals, "return on")
}

func (*evalSuite) TestReleasesAddUp(c *gc.C) {
	old := live(c, "x 1*off->pause")
	c.Check(choices(old, 2), gc.Equals, "off pause")
	r, err := CheckRelease("f", []byte("x 1*off->pause\n"), "x", 2)
	c.Assert(err, gc.IsNil)
	trigger, err := ReleaseTrigger("f", r, 2)
	c.Assert(err, gc.IsNil)
	c.Check(trigger, gc.Equals, "3*off->pause")
	released := live(c, "x "+trigger)
	released.CarryOver(old)
	c.Check(choices(released, 3), gc.Equals, "off off pause")
}

func (*evalSuite) TestRemainingCountsDownPerTerm(c *gc.C) {
	l := live(c, "x 2*on->30%off->1*pause")
	c.Check(l.Remaining(), gc.DeepEquals, []int{2, Unlimited, 1})
	c.Check(choices(l, 1), gc.Equals, "on")
	c.Check(l.Remaining(), gc.DeepEquals, []int{1, Unlimited, 1})
	c.Check(live(c, "x 30%on").Remaining(), gc.DeepEquals, []int{Unlimited})
	c.Check(live(c, "x").Remaining(), gc.DeepEquals, []int{Unlimited})
}

func (*evalSuite) TestAlwaysIsTheTermEveryCallFires(c *gc.C) {
	for line, want := range map[string]string{
		"x":                     "on",
		"x sleep(1s)->on":       "sleep",
		"x pause":               "pause",
		"x 30%on":               "",
		"x 2*on->1*off":         "",
		"x 30%on->off":          "",
		"x 1*off->pause":        "",
		"x return->30%off":      "return",
		"x 2*on->1*off->repeat": "",
	} {
		l := live(c, line)
		got := ""
		if t := l.Always(); t != nil {
			got = t.Name
			c.Check(l.Choose(), gc.Equals, t, gc.Commentf("%s", line))
		}
		c.Check(got, gc.Equals, want, gc.Commentf("%s", line))
	}
}

func (*evalSuite) TestChooseDoesNotAllocate(c *gc.C) {
	for _, line := range []string{"x", "x 30%on", "x 2*on->1*off->repeat"} {
		l := live(c, line)
		allocs := testing.AllocsPerRun(100, func() { l.Choose() })
		c.Check(allocs, gc.Equals, float64(0), gc.Commentf("%q", line))
	}
}
