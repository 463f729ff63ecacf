package live

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/testdir"
)

func Test(t *testing.T) { gc.TestingT(t) }

func TestMain(m *testing.M) {
	code := m.Run()
	testdir.RemoveAll()
	os.Exit(code)
}

// patience bounds every wait on a condition in these tests.
const patience = 30 * time.Second

func tempDir(c *gc.C) string {
	dir, err := testdir.Make("wrench-live-")
	c.Assert(err, gc.IsNil)
	return dir
}

type formatSuite struct{}

var _ = gc.Suite(&formatSuite{})

func (*formatSuite) TestRoundTrip(c *gc.C) {
	p := Self()
	p.Seed = "18446744073709551615" // a uint64 no float64 holds
	p.Exact = true
	p.Published = time.Date(2026, 12, 2, 3, 17, 0, 5, time.UTC)
	p.Categories = []Category{{
		Name:    "agent",
		Version: "abc",
		Rules: []Rule{{
			Feature: "hook", Trigger: "2*off->pause", Line: 3, Evaluated: 9, Fired: 4,
			Remaining: []int{0, -1}, Paused: 2, Sleeping: 1,
			LastFired: time.Date(2026, 12, 2, 3, 18, 0, 7, time.UTC),
		}, {Feature: "renamed", Trigger: "on", Line: 4, Remaining: []int{-1}, Asked: true}},
		Unruled:       []Unruled{{Feature: "refuse-upgrade", Calls: 3}},
		UnruledOthers: 5,
	}, {Name: "other", Refused: "is writable by others (mode 0646)"}}
	data, err := Encode(&p)
	c.Assert(err, gc.IsNil)
	back, err := Decode(data)
	c.Assert(err, gc.IsNil)
	c.Check(*back, gc.DeepEquals, p)
	c.Check(back.SeedValue(), gc.Equals, uint64(18446744073709551615))
	c.Check(back.Category("agent").Asked("hook"), gc.Equals, true)
	c.Check(back.Category("agent").Asked("refuse-upgrade"), gc.Equals, true)
	c.Check(back.Category("agent").Asked("refuse-upgrad"), gc.Equals, false)
	c.Check(back.Category("agent").Asked("renamed"), gc.Equals, true, gc.Commentf("asked before its line changed"))
	c.Check(back.Category("nope"), gc.IsNil)
}

func (*formatSuite) TestDecodeRefusesWhatIsNotAState(c *gc.C) {
	for _, t := range []struct{ data, err string }{
		{"", "is not a live state: .*"},
		{"{", "is not a live state: .*"},
		{`{"format":2,"pid":1,"seed":"1"}`, "is a live state of format 2, not 1"},
		{`{"format":1,"seed":"1"}`, "is a live state without a pid"},
		{`{"format":1,"pid":7,"seed":"-1"}`, `is a live state whose seed "-1" is not a decimal`},
	} {
		_, err := Decode([]byte(t.data))
		c.Check(err, gc.ErrorMatches, t.err, gc.Commentf("%q", t.data))
	}
}

func (*formatSuite) TestNames(c *gc.C) {
	for name, want := range map[string]bool{"1": true, "4242": true, "0": false, "-1": false, "01": false, "x": false, "": false} {
		_, ok := pidName(name)
		c.Check(ok, gc.Equals, want, gc.Commentf("%q", name))
	}
	pid, ok := tempPID(".4242.tmp-123")
	c.Check(ok, gc.Equals, true)
	c.Check(pid, gc.Equals, 4242)
	for _, name := range []string{"4242", ".4242", ".x.tmp-1", "4242.tmp-1"} {
		_, ok := tempPID(name)
		c.Check(ok, gc.Equals, false, gc.Commentf("%q", name))
	}
}

// publishSuite runs a Publisher in a fresh wrench directory.
type publishSuite struct {
	dir      string
	changed  chan struct{}
	state    chan []Category // what the collector returns next
	cats     []Category
	restore  []func()
	collects atomic.Int32 // calls of collect
}

var _ = gc.Suite(&publishSuite{})

func (s *publishSuite) SetUpTest(c *gc.C) {
	s.dir = filepath.Join(tempDir(c), "wrench")
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	s.changed = make(chan struct{}, 1)
	s.state = make(chan []Category, 100)
	s.cats = nil
	oldGap, oldLazy := minGap, lazyInterval
	s.restore = []func(){func() { minGap, lazyInterval = oldGap, oldLazy }}
}

func (s *publishSuite) TearDownTest(c *gc.C) {
	for _, f := range s.restore {
		f()
	}
}

func (s *publishSuite) collect() ([]Category, bool) {
	s.collects.Add(1)
	for { // the latest state given: a collector reads what is now
		select {
		case s.cats = <-s.state:
			continue
		default:
		}
		return s.cats, true
	}
}

// read waits until Read shows this process with want as its state.
func (s *publishSuite) waitFor(c *gc.C, want []Category) *Process {
	deadline := time.Now().Add(patience)
	for {
		f, err := Read(s.dir)
		c.Assert(err, gc.IsNil)
		c.Assert(f.Ignored, gc.HasLen, 0)
		if len(f.Processes) == 1 && len(f.Processes[0].Categories) == len(want) {
			got := f.Processes[0]
			if len(want) == 0 || got.Categories[0].Name == want[0].Name && (len(want[0].Rules) == 0 || got.Categories[0].Rules[0].Fired == want[0].Rules[0].Fired) {
				return got
			}
		}
		if time.Now().After(deadline) {
			c.Fatalf("waited %v for %+v; found %+v", patience, want, f)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *publishSuite) TestPublishesChangesAndStopRemoves(c *gc.C) {
	one := []Category{{Name: "agent", Version: "v1", Rules: []Rule{{Feature: "x", Trigger: "on", Line: 1, Fired: 1, Remaining: []int{-1}}}}}
	s.state <- one
	p := Publish(s.dir, 42, s.changed, s.collect)
	defer p.Stop()
	got := s.waitFor(c, one)
	c.Check(got.PID, gc.Equals, os.Getpid())
	c.Check(got.Seed, gc.Equals, "42")
	c.Check(got.Exact, gc.Equals, true)
	c.Check(got.Start, gc.Not(gc.Equals), "")
	c.Check(p.Path(), gc.Equals, filepath.Join(s.dir, DirName(), strconv.Itoa(os.Getpid())))

	// A change wakes it.
	two := []Category{{Name: "agent", Version: "v1", Rules: []Rule{{Feature: "x", Trigger: "on", Line: 1, Fired: 2, Remaining: []int{-1}}}}}
	s.state <- two
	s.changed <- struct{}{}
	s.waitFor(c, two)

	// Modes (unix): the directory and file are 0755 and 0644 whatever
	// the umask. No temporary file is left.
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(s.dir, DirName()))
		c.Assert(err, gc.IsNil)
		c.Check(fi.Mode().Perm(), gc.Equals, os.FileMode(0o755))
		fi, err = os.Stat(p.Path())
		c.Assert(err, gc.IsNil)
		c.Check(fi.Mode().Perm(), gc.Equals, os.FileMode(0o644))
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, DirName()))
	c.Assert(err, gc.IsNil)
	c.Check(entries, gc.HasLen, 1)

	p.Stop()
	_, err = os.Stat(p.Path())
	c.Check(os.IsNotExist(err), gc.Equals, true)
	p.Stop() // again: nothing
	select {
	case <-p.done:
	default:
		c.Fatalf("the publisher's goroutine runs on")
	}
}

func (s *publishSuite) TestLazyChangesAreWrittenWithoutAToken(c *gc.C) {
	lazyInterval = 5 * time.Millisecond
	one := []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 1}}}}
	s.state <- one
	p := Publish(s.dir, 1, s.changed, s.collect)
	defer p.Stop()
	s.waitFor(c, one)
	two := []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 2}}}}
	s.state <- two
	s.waitFor(c, two)
}

func (s *publishSuite) TestChangesCoalesce(c *gc.C) {
	// Changes made every millisecond for 100 ms, with at least 50 ms
	// between writes: a few writes, not a hundred.
	minGap = 50 * time.Millisecond
	one := []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 1}}}}
	s.state <- one
	p := Publish(s.dir, 1, s.changed, s.collect)
	defer p.Stop()
	s.waitFor(c, one)
	before, start := s.collects.Load(), time.Now()
	for i := 2; i <= 100; i++ {
		s.state <- []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: uint64(i)}}}}
		select {
		case s.changed <- struct{}{}:
		default:
		}
		time.Sleep(time.Millisecond) // changes spread over time, as firings are
	}
	s.waitFor(c, []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 100}}}})
	// At most one write per gap over however long the changes took on
	// this machine, and a couple more for the ends: without the gap it
	// is one per change.
	allowed := int32(time.Since(start)/minGap) + 3
	got := s.collects.Load() - before
	c.Check(got <= allowed && got < 50, gc.Equals, true, gc.Commentf("%d collections for 99 changes over %v (allowed %d)", got, time.Since(start), allowed))
}

func (s *publishSuite) TestStopDoesNotWaitOutTheGap(c *gc.C) {
	// With a long gap between writes and changes waiting, Stop still
	// ends the publisher at once and removes its state.
	minGap = time.Hour
	one := []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 1}}}}
	s.state <- one
	p := Publish(s.dir, 1, s.changed, s.collect)
	s.waitFor(c, one)
	_, err := os.Stat(p.Path())
	c.Assert(err, gc.IsNil)
	for i := 0; i < 100; i++ {
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}
	p.Stop() // does not wait out the gap
	_, err = os.Stat(p.Path())
	c.Check(os.IsNotExist(err), gc.Equals, true)
}

func (s *publishSuite) TestAStateRemovedIsWrittenAgain(c *gc.C) {
	// An operator removes the state while nothing changes: the lazy
	// look finds it gone and writes it again.
	lazyInterval = 5 * time.Millisecond
	one := []Category{{Name: "agent", Rules: []Rule{{Feature: "x", Fired: 1}}}}
	s.state <- one
	p := Publish(s.dir, 1, s.changed, s.collect)
	defer p.Stop()
	s.waitFor(c, one)
	c.Assert(os.Remove(p.Path()), gc.IsNil)
	s.waitFor(c, one)
}
