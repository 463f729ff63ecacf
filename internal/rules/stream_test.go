package rules

import (
	"fmt"
	"strings"
	"testing"

	gc "gopkg.in/check.v1"
)

// streamSuite tests the chance draws' streams: one per rule, made from the
// seed, the category and the feature.
type streamSuite struct{}

var _ = gc.Suite(&streamSuite{})

// fires chooses n times on l and writes T for a term chosen, F otherwise.
func fires(l *Live, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if l.Choose() != nil {
			b.WriteByte('T')
		} else {
			b.WriteByte('F')
		}
	}
	return b.String()
}

func liveWithKey(c *gc.C, line string, key uint64) *Live {
	r, err := ParseLine(line)
	c.Assert(err, gc.IsNil)
	l := NewLive(r, key)
	return &l
}

func (s *streamSuite) TestTheSameKeyDrawsTheSame(c *gc.C) {
	key := StreamKey(42, "agent", "x")
	a := fires(liveWithKey(c, "x 50%on", key), 200)
	b := fires(liveWithKey(c, "x 50%on", key), 200)
	c.Check(a, gc.Equals, b)
	c.Check(strings.Count(a, "T") > 50 && strings.Count(a, "T") < 150, gc.Equals, true, gc.Commentf("%s", a))
	// Another seed, category or feature is another stream.
	for _, other := range []uint64{StreamKey(43, "agent", "x"), StreamKey(42, "agent2", "x"), StreamKey(42, "agent", "y")} {
		c.Check(fires(liveWithKey(c, "x 50%on", other), 200), gc.Not(gc.Equals), a)
	}
}

func (s *streamSuite) TestOneRulesDrawsDoNotShiftAnothers(c *gc.C) {
	alone := fires(liveWithKey(c, "x 50%on", StreamKey(7, "c", "x")), 100)
	x := liveWithKey(c, "x 50%on", StreamKey(7, "c", "x"))
	y := liveWithKey(c, "y 30%on->50%sleep(1ms)", StreamKey(7, "c", "y"))
	var interleaved strings.Builder
	for i := 0; i < 100; i++ {
		fires(y, i%3) // y draws 0, 1 or 2 times between x's calls
		interleaved.WriteString(fires(x, 1))
	}
	c.Check(interleaved.String(), gc.Equals, alone)
}

func (s *streamSuite) TestDrawsAreSpreadEvenly(c *gc.C) {
	// Deterministic for a key, so this cannot flake: it guards the
	// arithmetic that turns 64 bits into a percentage.
	for _, p := range []float64{1, 12.5, 30, 50, 99} {
		l := liveWithKey(c, fmt.Sprintf("x %g%%on", p), StreamKey(1, "c", "x"))
		got := float64(strings.Count(fires(l, 20000), "T")) / 200
		c.Check(got > p-1.5 && got < p+1.5, gc.Equals, true, gc.Commentf("%g%% fired %.2f%% of 20000 calls", p, got))
	}
}

func (s *streamSuite) TestAnUnchangedLineGoesOnDrawing(c *gc.C) {
	key := StreamKey(5, "c", "x")
	whole := fires(liveWithKey(c, "x 50%on", key), 40)
	first := liveWithKey(c, "x 50%on", key)
	got := fires(first, 20)
	next := liveWithKey(c, "x 50%on", key)
	next.CarryOver(first)
	got += fires(next, 20)
	c.Check(got, gc.Equals, whole)
	// A changed line starts its stream afresh.
	changed := liveWithKey(c, "x 50%return", key)
	changed.CarryOver(next)
	c.Check(fires(changed, 40), gc.Equals, whole)
}

func (s *streamSuite) TestChoosingADrawAllocatesNothing(c *gc.C) {
	l := liveWithKey(c, "x 50%1*on->20%2*off->repeat", StreamKey(1, "c", "x"))
	c.Check(testing.AllocsPerRun(100, func() { l.Choose() }), gc.Equals, 0.0)
}
