package watch_test

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/testdir"
	"github.com/go-wrench/wrench/internal/watch"
)

func Test(t *testing.T) { gc.TestingT(t) }

func TestMain(m *testing.M) {
	code := m.Run()
	testdir.RemoveAll()
	os.Exit(code)
}

type watchSuite struct {
	dataDir, dir string
	rec          *recorder
	stop         func() // stops what the test started, or nil
}

var _ = gc.Suite(&watchSuite{})

// failAfter bounds how long a test waits for a report that should come
// at once; it only turns a hang into a failure.
const failAfter = 20 * time.Second

// never is an interval long enough that no tick comes during a test.
const never = time.Hour

func (s *watchSuite) SetUpTest(c *gc.C) {
	var err error
	s.dataDir, err = testdir.Make("watch-test-")
	c.Assert(err, gc.IsNil)
	s.dir = filepath.Join(s.dataDir, "wrench")
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	s.rec = &recorder{}
	s.stop = nil
}

func (s *watchSuite) TearDownTest(c *gc.C) {
	if s.stop != nil {
		s.stop()
	}
}

// recorder keeps every report a watcher makes.
type recorder struct {
	mu      sync.Mutex
	reports []watch.Changes
}

func (r *recorder) report(ch watch.Changes) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, ch)
}

// seen reports whether a report so far named name, or said all when name
// is "".
func (r *recorder) seen(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ch := range r.reports {
		if name == "" && ch.All || name != "" && slices.Contains(ch.Names, name) {
			return true
		}
	}
	return false
}

// reset forgets the reports so far.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = nil
}

// count is how many reports were made.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reports)
}

// start starts a watcher of the suite's directories that wants every name
// but those starting with ".", stopped when the test ends.
func (s *watchSuite) start(c *gc.C, interval time.Duration) *watch.Watcher {
	w, err := watch.Start(watch.Config{
		DataDir:  s.dataDir,
		Dir:      s.dir,
		Interval: interval,
		Wanted:   func(name string) bool { return !strings.HasPrefix(name, ".") },
		Report:   s.rec.report,
	})
	c.Assert(err, gc.IsNil)
	return w
}

// waitSeen waits until a report names name (or says all, for "").
func (s *watchSuite) waitSeen(c *gc.C, name string) {
	deadline := time.Now().Add(failAfter)
	for !s.rec.seen(name) {
		if time.Now().After(deadline) {
			c.Fatalf("no report of %q after %v; reports: %+v", name, failAfter, s.rec.reports)
		}
		time.Sleep(time.Millisecond)
	}
}

// write puts a file named name in the wrench directory as the writer
// does: a temporary file renamed over it.
func (s *watchSuite) write(c *gc.C, name, content string) {
	tmp := filepath.Join(s.dir, "."+name+".tmp-1")
	c.Assert(os.WriteFile(tmp, []byte(content), 0o644), gc.IsNil)
	c.Assert(os.Rename(tmp, filepath.Join(s.dir, name)), gc.IsNil)
}

func (s *watchSuite) TestAWriteReportsItsName(c *gc.C) {
	w := s.start(c, never)
	defer w.Close()
	s.write(c, "agent", "x\n")
	s.waitSeen(c, "agent")
	// The writer's temporary file is never reported, nor is "all".
	c.Check(s.rec.seen(".agent.tmp-1"), gc.Equals, false)
	c.Check(s.rec.seen(""), gc.Equals, false)
}

func (s *watchSuite) TestEveryKindOfChangeReportsTheName(c *gc.C) {
	w := s.start(c, never)
	defer w.Close()
	path := filepath.Join(s.dir, "agent")
	steps := []struct {
		what string
		do   func() error
	}{
		{"create", func() error { return os.WriteFile(path, []byte("x\n"), 0o644) }},
		{"write", func() error { return os.WriteFile(path, []byte("y\n"), 0o644) }},
		{"chmod", func() error { return os.Chmod(path, 0o600) }},
		{"touch", func() error { return os.Chtimes(path, time.Now(), time.Now().Add(time.Hour)) }},
		{"rename away", func() error { return os.Rename(path, path+"-gone") }},
		{"rename back", func() error { return os.Rename(path+"-gone", path) }},
		{"remove", func() error { return os.Remove(path) }},
	}
	for _, step := range steps {
		if runtime.GOOS == "windows" && (step.what == "chmod" || step.what == "touch") {
			// fsnotify asks Windows for no attribute events: the ticks
			// catch these there.
			continue
		}
		s.rec.reset()
		c.Assert(step.do(), gc.IsNil, gc.Commentf("%s", step.what))
		s.waitSeen(c, "agent")
	}
}

func (s *watchSuite) TestUnwantedNamesAreNotReported(c *gc.C) {
	w := s.start(c, never)
	defer w.Close()
	c.Assert(os.WriteFile(filepath.Join(s.dir, ".lock"), nil, 0o644), gc.IsNil)
	s.write(c, "marker", "")
	s.waitSeen(c, "marker")
	c.Check(s.rec.seen(".lock"), gc.Equals, false)
}

func (s *watchSuite) TestTheDirectoryItselfReportsAll(c *gc.C) {
	if runtime.GOOS == "windows" {
		c.Skip("fsnotify asks Windows for no attribute events: the ticks catch a directory's")
	}
	w := s.start(c, never)
	defer w.Close()
	c.Assert(os.Chmod(s.dir, 0o700), gc.IsNil)
	s.waitSeen(c, "")
}

func (s *watchSuite) TestADirectoryMadeLaterIsWatched(c *gc.C) {
	c.Assert(os.Remove(s.dir), gc.IsNil)
	w := s.start(c, never)
	defer w.Close()
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	s.waitSeen(c, "") // heard through the data directory's watch
	s.write(c, "agent", "x\n")
	s.waitSeen(c, "agent") // and the new directory is watched
}

func (s *watchSuite) TestADirectoryRenamedAwayAndReplaced(c *gc.C) {
	w := s.start(c, never)
	defer w.Close()
	c.Assert(os.Rename(s.dir, s.dir+".old"), gc.IsNil)
	s.waitSeen(c, "")
	s.rec.reset()
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	// Everything is reported once the new directory is watched.
	s.waitSeen(c, "")
	s.rec.reset()
	// A file written in the old directory, which the watch would follow
	// if it had not been moved to the new one, is not reported...
	c.Assert(os.WriteFile(filepath.Join(s.dir+".old", "old"), nil, 0o644), gc.IsNil)
	// ...and one in the new directory is.
	s.write(c, "agent", "x\n")
	s.waitSeen(c, "agent")
	c.Check(s.rec.seen("old"), gc.Equals, false)
}

func (s *watchSuite) TestTicksReportAllAndPlaceLostWatches(c *gc.C) {
	w := s.start(c, 10*time.Millisecond)
	defer w.Close()
	s.waitSeen(c, "")
	// The data directory renamed away and a new one made in its place:
	// no event reaches the new one, but the next tick watches it.
	c.Assert(os.Rename(s.dataDir, s.dataDir+".old"), gc.IsNil)
	defer os.RemoveAll(s.dataDir + ".old")
	c.Assert(os.MkdirAll(s.dir, 0o755), gc.IsNil)
	deadline := time.Now().Add(failAfter)
	for {
		s.rec.reset()
		name := "agent" + time.Now().Format("150405.000000000")
		s.write(c, name, "x\n")
		time.Sleep(50 * time.Millisecond) // several ticks: the watch is placed by now
		if s.rec.seen(name) {
			break
		}
		if time.Now().After(deadline) {
			c.Fatalf("a file in the new directory was never reported")
		}
	}
}

func (s *watchSuite) TestNoReportAfterClose(c *gc.C) {
	w := s.start(c, time.Millisecond)
	s.waitSeen(c, "")
	w.Close()
	n := s.rec.count()
	s.write(c, "agent", "x\n")
	time.Sleep(20 * time.Millisecond) // twenty ticks, were it running
	c.Check(s.rec.count(), gc.Equals, n)
	w.Close() // a second Close is harmless
}

func (s *watchSuite) TestCloseLeaksNothing(c *gc.C) {
	if runtime.GOOS != "linux" {
		c.Skip("counts descriptors in /proc/self/fd")
	}
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		c.Assert(err, gc.IsNil)
		return len(entries)
	}
	w := s.start(c, time.Millisecond)
	w.Close()
	beforeFDs, beforeGoroutines := fds(), runtime.NumGoroutine()
	for i := 0; i < 200; i++ {
		w := s.start(c, time.Millisecond)
		s.write(c, "agent", "x\n")
		w.Close()
	}
	c.Check(fds(), gc.Equals, beforeFDs)
	deadline := time.Now().Add(failAfter)
	for runtime.NumGoroutine() > beforeGoroutines && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// Fewer is no leak: a goroutine of an earlier test's fsnotify watcher
	// may still have been ending when they were counted (seen once under
	// -race on a loaded machine).
	c.Check(runtime.NumGoroutine() <= beforeGoroutines, gc.Equals, true, gc.Commentf("%d goroutines, %d before", runtime.NumGoroutine(), beforeGoroutines))
}
