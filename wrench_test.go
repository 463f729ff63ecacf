package wrench_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/juju/errors"
	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
	"github.com/go-wrench/wrench/internal/live"
	"github.com/go-wrench/wrench/internal/testdir"
)

func Test(t *testing.T) { gc.TestingT(t) }

// baseSuite gives each test a fresh data directory with a trusted wrench
// directory in it, wrench enabled, and the wrench logger's entries captured.
//
// Every suite built on it runs twice, once in each freshness mode: exact
// (every call looks at the disk) and watched (calls answer from the
// watched snapshot). A test that changes the disk other than through the
// package's writers calls settle before it asks, which makes the change
// visible in watched mode with Sync and does nothing in exact mode, where
// every call must see it unaided.
type baseSuite struct {
	exact    bool // the freshness mode: see wrench.SetExact
	dataDir  string
	dir      string // the wrench directory
	logs     *loggo.TestWriter
	restores []func()
}

func (s *baseSuite) SetUpTest(c *gc.C) {
	s.dataDir = tempDir(c)
	s.dir = filepath.Join(s.dataDir, "wrench")
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
	// The directory of this process's live state, made now: the
	// publisher would make it after the first call that reads a
	// category, changing the wrench directory's state under tests that
	// count how often it is verified.
	c.Assert(os.Mkdir(filepath.Join(s.dir, wrench.LiveDirName()), 0o755), gc.IsNil)
	s.restores = nil
	c.Logf("exact mode: %v", s.exact)
	wasExact := wrench.SetExact(s.exact)
	s.addRestore(func() { wrench.SetExact(wasExact) })
	if os.Getenv("WRENCH_TEST_DEAF") == "1" {
		// Prove every test settles where watched mode needs it: the
		// watcher hears nothing, and only Sync and writes change things.
		s.addRestore(wrench.SetDeafWatchers(true))
	}
	old := wrench.SetDataDir(s.dataDir)
	wasEnabled := wrench.SetEnabled(true)
	s.addRestore(func() {
		wrench.SetDataDir(old)
		wrench.SetEnabled(wasEnabled)
	})
	// Capture the log, and keep it off the test's output.
	s.logs = &loggo.TestWriter{}
	oldWriter, err := loggo.ReplaceDefaultWriter(s.logs)
	c.Assert(err, gc.IsNil)
	s.addRestore(func() { loggo.ReplaceDefaultWriter(oldWriter) })
	logger := loggo.GetLogger("wrench")
	oldLevel := logger.LogLevel()
	logger.SetLogLevel(loggo.TRACE)
	s.addRestore(func() { logger.SetLogLevel(oldLevel) })
}

func (s *baseSuite) TearDownTest(c *gc.C) {
	for i := len(s.restores) - 1; i >= 0; i-- {
		s.restores[i]()
	}
}

func (s *baseSuite) addRestore(f func()) { s.restores = append(s.restores, f) }

// settle makes every change made to the disk so far visible to the next
// call: wrench.Sync in watched mode, nothing in exact mode.
func (s *baseSuite) settle() {
	if !s.exact {
		wrench.Sync()
	}
}

// writeFile writes a category file with mode 0644 whatever the umask, by
// renaming a new file over the old, as the command does, and settles.
func (s *baseSuite) writeFile(c *gc.C, category, content string) string {
	path := filepath.Join(s.dir, category)
	tmp := filepath.Join(s.dir, wrench.TempName(category))
	c.Assert(os.WriteFile(tmp, []byte(content), 0o644), gc.IsNil)
	s.settle()
	c.Assert(os.Chmod(tmp, 0o644), gc.IsNil)
	s.settle()
	c.Assert(renameOver(tmp, path), gc.IsNil)
	s.settle()
	return path
}

// renameOver renames from over to. Windows refuses to replace a file that
// is open at that moment, as it is while IsActive reads it, so a writer
// there tries again for a while, as the wrench command does.
func renameOver(from, to string) error {
	err := os.Rename(from, to)
	for i := 0; err != nil && runtime.GOOS == "windows" && i < 200; i++ {
		time.Sleep(5 * time.Millisecond)
		err = os.Rename(from, to)
	}
	return err
}

// logged returns the captured log messages at level that contain text.
func (s *baseSuite) logged(level loggo.Level, text string) []string {
	var found []string
	for _, e := range s.logs.Log() {
		if e.Level == level && strings.Contains(e.Message, text) {
			found = append(found, e.Message)
		}
	}
	return found
}

// firings counts the logged firings whose message contains text: the
// first of a file state is logged at INFO, later ones at DEBUG, and off
// terms at TRACE.
func (s *baseSuite) firings(text string) int {
	n := 0
	for _, e := range s.logs.Log() {
		if e.Level <= loggo.INFO && strings.Contains(e.Message, text) && strings.Contains(e.Message, " fired") {
			n++
		}
	}
	return n
}

// waitFirings waits until exactly n firings containing text have been
// logged. Waiting on the log, not on time, is what makes the tests of
// sleeping and paused calls exact.
func (s *baseSuite) waitFirings(c *gc.C, text string, n int) {
	deadline := time.Now().Add(failAfter)
	for s.firings(text) < n {
		if time.Now().After(deadline) {
			c.Fatalf("waited %v for %d firings of %q; saw %d", failAfter, n, text, s.firings(text))
		}
		time.Sleep(time.Millisecond)
	}
	c.Assert(s.firings(text), gc.Equals, n)
}

// nothingReturned checks that no call has returned. Callers use it only
// once every call still out is known to be held (its firing is logged), so
// no later return can be missed.
func nothingReturned(c *gc.C, returned <-chan bool) {
	select {
	case <-returned:
		c.Errorf("a held call returned")
	default:
	}
}

// tempDir makes a directory removed when the test binary is done; see
// package testdir for why not c.MkDir.
func tempDir(c *gc.C) string {
	dir, err := testdir.Make("wrench-test-")
	c.Assert(err, gc.IsNil)
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	testdir.RemoveAll()
	os.Exit(code)
}

// osChtimes sets both times of path, to touch it.
func osChtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }

// askConcurrently calls ask in a loop on n goroutines until stop is
// called; stop waits for them and returns the first error any returned.
// stop may be called more than once.
func askConcurrently(n int, ask func() error) (stop func() error) {
	done := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := ask(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var first error
	var once sync.Once
	return func() error {
		// Idempotent, so a test may also defer it for when an assertion
		// fails before its own call.
		once.Do(func() {
			close(done)
			wg.Wait()
			close(errs)
			first = <-errs
		})
		return first
	}
}

// defaultsSuite runs without the base suite, so it sees the process's
// defaults (every other suite restores them when it is done).
type defaultsSuite struct{}

var _ = gc.Suite(&defaultsSuite{})

func (*defaultsSuite) TestEnabledByDefault(c *gc.C) {
	c.Check(wrench.IsEnabled(), gc.Equals, true)
}

func (*defaultsSuite) TestDefaultDataDir(c *gc.C) {
	want := "/var/lib"
	if runtime.GOOS == "windows" {
		want = os.Getenv("ProgramData")
	}
	c.Check(wrench.DataDir(), gc.Equals, want)
}

type switchSuite struct{ baseSuite }

var (
	_ = gc.Suite(&switchSuite{baseSuite{exact: true}})
	_ = gc.Suite(&switchSuite{baseSuite{exact: false}})
)

func (s *switchSuite) TestSetEnabledReturnsPrevious(c *gc.C) {
	c.Check(wrench.SetEnabled(false), gc.Equals, true)
	c.Check(wrench.IsEnabled(), gc.Equals, false)
	c.Check(wrench.SetEnabled(false), gc.Equals, false)
	c.Check(wrench.SetEnabled(true), gc.Equals, false)
	c.Check(wrench.IsEnabled(), gc.Equals, true)
	c.Check(wrench.SetEnabled(true), gc.Equals, true)
}

func (s *switchSuite) TestDisabledIgnoresFiles(c *gc.C) {
	s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	wrench.SetEnabled(false)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	wrench.SetEnabled(true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
}

func (s *switchSuite) TestSetDataDirReturnsPreviousAndSwitches(c *gc.C) {
	s.writeFile(c, "agent", "first\n")
	other := tempDir(c)
	c.Assert(os.Mkdir(filepath.Join(other, "wrench"), 0o755), gc.IsNil)
	s.settle()
	c.Assert(os.WriteFile(filepath.Join(other, "wrench", "agent"), []byte("second\n"), 0o644), gc.IsNil)
	s.settle()

	c.Check(wrench.IsActive("agent", "first"), gc.Equals, true)
	c.Check(wrench.SetDataDir(other), gc.Equals, s.dataDir)
	c.Check(wrench.DataDir(), gc.Equals, other)
	c.Check(wrench.IsActive("agent", "first"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "second"), gc.Equals, true)
	c.Check(wrench.SetDataDir(s.dataDir), gc.Equals, other)
	c.Check(wrench.IsActive("agent", "first"), gc.Equals, true)
}

func (s *switchSuite) TestSetDataDirDropsCounts(c *gc.C) {
	s.writeFile(c, "agent", "once 1*on\n")
	c.Check(wrench.IsActive("agent", "once"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "once"), gc.Equals, false)
	wrench.SetDataDir(s.dataDir)
	c.Check(wrench.IsActive("agent", "once"), gc.Equals, true)
}

// TestConcurrentSwitching is for the race detector: the switch and the
// data directory change while many goroutines ask.
func (s *switchSuite) TestConcurrentSwitching(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	stop := askConcurrently(4, func() error {
		wrench.IsActive("agent", "x")
		return nil
	})
	for i := 0; i < 200; i++ {
		wrench.SetEnabled(i%2 == 0)
		wrench.SetDataDir(s.dataDir)
		_ = wrench.DataDir()
		_ = wrench.IsEnabled()
	}
	c.Check(stop(), gc.IsNil)
	wrench.SetEnabled(true)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

type formatSuite struct{ baseSuite }

var (
	_ = gc.Suite(&formatSuite{baseSuite{exact: true}})
	_ = gc.Suite(&formatSuite{baseSuite{exact: false}})
)

func (s *formatSuite) TestOriginalFormat(c *gc.C) {
	// The original wrench format: one feature a line, nothing else.
	s.writeFile(c, "machine-agent", "refuse-upgrade\nslow-dial\n")
	c.Check(wrench.IsActive("machine-agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("machine-agent", "slow-dial"), gc.Equals, true)
	c.Check(wrench.IsActive("machine-agent", "other"), gc.Equals, false)
	c.Check(wrench.IsActive("other-agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *formatSuite) TestCommentsBlanksTabsCRLF(c *gc.C) {
	s.writeFile(c, "agent", strings.Join([]string{
		"# a whole-line comment naming commented-out",
		"#commented-out",
		"",
		"   ",
		"\ttabbed\t\t# trailing comment",
		"spaced   on   # trailing comment",
		"crlf\r",
		"crlf-trigger 1*on\r",
		"hash#inside",
		"last-without-newline",
	}, "\n"))
	for _, feature := range []string{"tabbed", "spaced", "crlf", "crlf-trigger", "hash#inside", "last-without-newline"} {
		c.Check(wrench.IsActive("agent", feature), gc.Equals, true, gc.Commentf("feature %q", feature))
	}
	for _, feature := range []string{"commented-out", "#commented-out", "a", "trailing", "comment", "crlf\r", ""} {
		c.Check(wrench.IsActive("agent", feature), gc.Equals, false, gc.Commentf("feature %q", feature))
	}
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, 0)
}

func (s *formatSuite) TestFirstLineNamingAFeatureWins(c *gc.C) {
	s.writeFile(c, "agent", "x off\nx on\ny 0%on\ny on\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	// y's first line does not parse, so it names nothing: the next wins.
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
	path := filepath.Join(s.dir, "agent")
	c.Check(s.logged(loggo.WARNING, path+":2: "), gc.HasLen, 1)
	c.Check(s.logged(loggo.WARNING, path+":3: "), gc.HasLen, 1)
}

func (s *formatSuite) TestHashStartsACommentOnlyAtAFieldStart(c *gc.C) {
	s.writeFile(c, "agent", "a on#x\nb on #x\n")
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "b"), gc.Equals, true)
	c.Check(s.logged(loggo.WARNING, filepath.Join(s.dir, "agent")+":1: "), gc.HasLen, 1)
}

func (s *formatSuite) TestEmptyFile(c *gc.C) {
	s.writeFile(c, "agent", "")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
}

func (s *formatSuite) TestBadLinesAreSkippedAndTheRestCount(c *gc.C) {
	s.writeFile(c, "agent", "good\nbad 30%%on\nalso-good 1*on\nextra on fields\n\xff\xfe\n")
	c.Check(wrench.IsActive("agent", "good"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "also-good"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "bad"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "extra"), gc.Equals, false)
	path := filepath.Join(s.dir, "agent")
	c.Check(s.logged(loggo.WARNING, path+":2: "), gc.HasLen, 1)
	c.Check(s.logged(loggo.WARNING, path+":4: "), gc.HasLen, 1)
	c.Check(s.logged(loggo.WARNING, path+":5: "), gc.HasLen, 1)
}

var badCategories = []string{
	"", ".", "..", ".hidden", "../escape", "a/b", "a\\b", "/etc/passwd",
	"has space", "tab\there", "nul\x00", "ünïcode", "semi;colon", "star*",
	strings.Repeat("x", 65),
}

func (s *formatSuite) TestNoPathLeavesTheWrenchDirectory(c *gc.C) {
	// A file a path could reach from the wrench directory, naming the
	// feature: none of the bad names may read it.
	outside := filepath.Join(s.dataDir, "escape")
	c.Assert(os.WriteFile(outside, []byte("x\n"), 0o644), gc.IsNil)
	s.settle()
	c.Assert(os.WriteFile(filepath.Join(s.dataDir, "passwd"), []byte("x\n"), 0o644), gc.IsNil)
	s.settle()
	for _, name := range append(badCategories, "../escape", "../passwd", "..\\escape") {
		c.Check(wrench.IsActive(name, "x"), gc.Equals, false, gc.Commentf("%q", name))
	}
	// The positive control: a valid name reads its file.
	s.writeFile(c, "escape", "x\n")
	c.Check(wrench.IsActive("escape", "x"), gc.Equals, true)
}

func (s *formatSuite) TestBadCategoryLoggedOnceNamingIt(c *gc.C) {
	for i := 0; i < 1000; i++ {
		wrench.IsActive("../escape", "x")
	}
	c.Check(s.logged(loggo.ERROR, `"../escape"`), gc.HasLen, 1)
}

// TestByteOrderMark: a file saved by an editor that starts it with a
// UTF-8 byte-order mark keeps its first rule's name.
func (s *formatSuite) TestByteOrderMark(c *gc.C) {
	s.writeFile(c, "agent", "\ufeffrefuse-upgrade\nother\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "\ufeffrefuse-upgrade"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "other"), gc.Equals, true)
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, 0)

	rules, problems := wrench.ParseFile("f", []byte("\ufeff# comment\r\nx 1*on\r\n"))
	c.Check(problems, gc.HasLen, 0)
	c.Assert(rules, gc.HasLen, 1)
	c.Check(rules[0].Feature, gc.Equals, "x")
	c.Check(rules[0].Line, gc.Equals, 2)

	// Only the very start of the file: a mark elsewhere (a second one, or
	// one at the start of a later line) would rename the feature, so the
	// line is a problem, not a silent miss.
	rules, problems = wrench.ParseFile("f", []byte("\ufeff\ufeffa\nb\n\ufeffc\nd\u200be\n"))
	c.Assert(rules, gc.HasLen, 1)
	c.Check(rules[0].Feature, gc.Equals, "b")
	c.Assert(problems, gc.HasLen, 3)
	c.Check(problems[0].Error(), gc.Equals, `f:1: feature name "\ufeffa" contains the invisible formatting character U+FEFF`)
	c.Check(problems[1].Line, gc.Equals, 3)
	c.Check(problems[2].Error(), gc.Equals, `f:4: feature name "d\u200be" contains the invisible formatting character U+200B`)
}

func (s *formatSuite) TestWriterNamesAreNeverCategories(c *gc.C) {
	c.Check(wrench.CheckCategory(wrench.LockName), gc.NotNil)
	for _, category := range []string{"agent", "a", "x.y-z_1"} {
		name := wrench.TempName(category)
		c.Check(wrench.CheckCategory(name), gc.NotNil, gc.Commentf("temporary name %q", name))
	}
	c.Check(wrench.TempName("agent"), gc.Not(gc.Equals), wrench.TempName("agent"))
}

// TestEditsReadMarksAsIsActive: a byte-order mark is skipped only at the
// very start of a file, and the writer's edits and their checks read it
// so too.
func (s *formatSuite) TestEditsReadMarksAsIsActive(c *gc.C) {
	// Unsetting the first line must not make a later line's mark the
	// file's, which would arm that line.
	s.writeFile(c, "agent", "a\n\ufeffb\n")
	c.Assert(wrench.Unset("agent", "a"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "b"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "\ufeffb"), gc.Equals, false)

	// Two marks: line 1 is bad, so setting the feature it would name
	// adds a line, and the check of that edit reads the file as IsActive.
	s.writeFile(c, "other", "\ufeff\ufeffa on\n")
	c.Assert(wrench.Set("other", "a", "1*on"), gc.IsNil)
	c.Check(sequence("other", "a", 2), gc.Equals, "TF")
}

type triggerSuite struct{ baseSuite }

var (
	_ = gc.Suite(&triggerSuite{baseSuite{exact: true}})
	_ = gc.Suite(&triggerSuite{baseSuite{exact: false}})
)

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

// failAfter bounds how long a test waits for something that should happen
// at once; it only turns a hang into a failure and never measures speed.
const failAfter = 20 * time.Second

type actionSuite struct{ baseSuite }

var (
	_ = gc.Suite(&actionSuite{baseSuite{exact: true}})
	_ = gc.Suite(&actionSuite{baseSuite{exact: false}})
)

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
	s.settle()
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
	s.settle()
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
	out, err := s.child("exit").CombinedOutput()
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
		cmd := s.child("ask")
		cmd.Env = append(cmd.Env, "WRENCH_TEST_FEATURES=x x")
		out, err := cmd.Output()
		c.Assert(err, gc.IsNil)
		c.Check(string(out), gc.Equals, "x=true\nx=false\n", gc.Commentf("process %d", i+1))
	}
	// And this process counts on its own too.
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
}

// child is childProcess in the suite's data directory and freshness mode.
func (s *baseSuite) child(role string) *exec.Cmd {
	cmd := childProcess(role, s.dataDir)
	if s.exact {
		cmd.Env = append(cmd.Env, wrench.ExactVariable+"=1")
	} else {
		cmd.Env = append(cmd.Env, wrench.ExactVariable+"=")
	}
	return cmd
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
		wrench.SetExact(os.Getenv(wrench.ExactVariable) == "1")
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

// freshSuite proves every call sees the disk as it is at that call, and
// that an unchanged file is served without reading it again.
type freshSuite struct{ baseSuite }

var (
	_ = gc.Suite(&freshSuite{baseSuite{exact: true}})
	_ = gc.Suite(&freshSuite{baseSuite{exact: false}})
)

func (s *freshSuite) TestRenameOver(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	s.writeFile(c, "agent", "y\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

func (s *freshSuite) TestRemoval(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Remove(path), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
}

func (s *freshSuite) TestRewriteInPlaceWithSameSize(c *gc.C) {
	path := s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	// Same inode, same size: the times tell. Set them apart explicitly,
	// as a file system with coarse timestamps might not.
	c.Assert(os.WriteFile(path, []byte("y\n"), 0o644), gc.IsNil)
	s.settle()
	later := time.Now().Add(time.Second)
	c.Assert(os.Chtimes(path, later, later), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

func (s *freshSuite) TestRenameDirectoryAway(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Rename(s.dir, s.dir+".old"), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	// A new directory in its place is read afresh.
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	s.settle()
	s.writeFile(c, "agent", "y\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
}

func (s *freshSuite) TestUnchangedFileIsNotReread(c *gc.C) {
	s.writeFile(c, "agent", "x\ny 1*on\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	before := wrench.Reloads()
	for i := 0; i < 1000; i++ {
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
		c.Assert(wrench.IsActive("agent", "z"), gc.Equals, false)
	}
	c.Check(wrench.Reloads(), gc.Equals, before)
	// A change is read once, and then served again.
	s.writeFile(c, "agent", "z\n")
	for i := 0; i < 100; i++ {
		c.Assert(wrench.IsActive("agent", "z"), gc.Equals, true)
	}
	c.Check(wrench.Reloads(), gc.Equals, before+1)
}

func (s *freshSuite) TestCategoriesAreSeparate(c *gc.C) {
	s.writeFile(c, "one", "x\n")
	s.writeFile(c, "two", "y\n")
	c.Check(wrench.IsActive("one", "x"), gc.Equals, true)
	c.Check(wrench.IsActive("two", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("two", "y"), gc.Equals, true)
	c.Assert(os.Remove(filepath.Join(s.dir, "one")), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("one", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("two", "y"), gc.Equals, true)
}

// countSuite proves that counts belong to rules, not to file states: a
// rule whose line is unchanged keeps them when the file is rewritten,
// touched or replaced, a new or changed line starts fresh, and releases add
// up exactly.
type countSuite struct{ baseSuite }

var (
	_ = gc.Suite(&countSuite{baseSuite{exact: true}})
	_ = gc.Suite(&countSuite{baseSuite{exact: false}})
)

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
	s.settle()
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

	c.Assert(wrench.Unset("agent", "y"), gc.IsNil)
	c.Assert(wrench.Set("agent", "y", "1*on"), gc.IsNil)
	if s.exact {
		// Unset and set again with no call in between: the process
		// never saw the file without y, so y's line is unchanged and
		// stays spent.
		c.Check(sequence("agent", "y", 1), gc.Equals, "F")
	} else {
		// Watched, the process sees each of its own writes: it saw the
		// file without y, so y is new again.
		c.Check(sequence("agent", "y", 2), gc.Equals, "TF")
	}
	// With a call in between, the process saw y gone: y is new again.
	c.Assert(wrench.Unset("agent", "y"), gc.IsNil)
	c.Check(sequence("agent", "y", 1), gc.Equals, "F")
	c.Assert(wrench.Set("agent", "y", "1*on"), gc.IsNil)
	c.Check(sequence("agent", "y", 2), gc.Equals, "TF")
}

func (s *countSuite) TestRemovedFileSeenGoneStartsFresh(c *gc.C) {
	path := s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	c.Assert(os.Remove(path), gc.IsNil)
	s.settle()
	s.writeFile(c, "agent", "x 1*on\n")
	if s.exact {
		// Removed and made again while no call looked: to this process
		// that is the file replaced, and the line is unchanged.
		c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	} else {
		// Watched, the process looked (here when the test settled): it
		// saw the file gone, which ends the rule's state.
		c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	}
	// A call that finds no file ends the rule's state.
	c.Assert(os.Remove(path), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	s.writeFile(c, "agent", "x 1*on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TF")
	// So does one that finds no wrench directory.
	c.Assert(os.Rename(s.dir, s.dir+".away"), gc.IsNil)
	s.settle()
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Assert(os.Rename(s.dir+".away", s.dir), gc.IsNil)
	s.settle()
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
	cmd := s.child("ask")
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

// releaseSuite holds calls in a pause rule and lets them through with
// Release and Clear.
type releaseSuite struct {
	baseSuite
}

var (
	_ = gc.Suite(&releaseSuite{baseSuite{exact: true}})
	_ = gc.Suite(&releaseSuite{baseSuite{exact: false}})
)

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

// categoriesSuite asks many distinct category names, as a program that
// builds them from data might: what is kept and logged stays bounded.
type categoriesSuite struct{ baseSuite }

var (
	_ = gc.Suite(&categoriesSuite{baseSuite{exact: true}})
	_ = gc.Suite(&categoriesSuite{baseSuite{exact: false}})
)

// manyCategories is more distinct names than anything remembers.
const manyCategories = 20000

func (s *categoriesSuite) SetUpTest(c *gc.C) {
	s.baseSuite.SetUpTest(c)
	// The TRACE line of each call would make the log the biggest cost.
	logger := loggo.GetLogger("wrench")
	logger.SetLogLevel(loggo.DEBUG)
}

// askMany asks IsActive of n distinct categories with no file.
func askMany(c *gc.C, prefix string, n int) {
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%05d", prefix, i)
		c.Assert(wrench.IsActive(name, "x"), gc.Equals, false, gc.Commentf("%s", name))
	}
}

func (s *categoriesSuite) TestManyCategoriesWithNoFileAreNotAllKept(c *gc.C) {
	askMany(c, "c", manyCategories)
	kept, _ := wrench.RememberedCategories()
	c.Check(kept, gc.Equals, wrench.MaxFilelessCategories)
	c.Check(s.logged(loggo.WARNING, "categories are remembered already"), gc.HasLen, 1)
	// Asked again, they are still answered and still not kept.
	askMany(c, "c", manyCategories)
	kept, _ = wrench.RememberedCategories()
	c.Check(kept, gc.Equals, wrench.MaxFilelessCategories)
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, 1)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
}

func (s *categoriesSuite) TestACategoryWithAFileIsAlwaysKept(c *gc.C) {
	s.writeFile(c, "early", "x 2*on->1*off->repeat\n")
	c.Check(sequence("early", "x", 1), gc.Equals, "T")
	askMany(c, "c", manyCategories)
	// Past the bound: a new category whose file exists is kept, so its
	// counts live from call to call.
	s.writeFile(c, "late", "x 1*on\n")
	c.Check(sequence("late", "x", 3), gc.Equals, "TFF")
	// So is one asked before it had a file, once it has one.
	c.Check(wrench.IsActive("c19999", "x"), gc.Equals, false)
	s.writeFile(c, "c19999", "x 1*on\n")
	c.Check(sequence("c19999", "x", 3), gc.Equals, "TFF")
	kept, _ := wrench.RememberedCategories()
	c.Check(kept, gc.Equals, wrench.MaxFilelessCategories+2)
	// And one kept before the many goes on where it was.
	c.Check(sequence("early", "x", 4), gc.Equals, "TFTT")
}

func (s *categoriesSuite) TestRepeatedBadNamePastTheBoundIsNotLoggedAgain(c *gc.C) {
	bad := wrench.MaxInvalidNames + 10
	for i := 0; i < bad; i++ {
		c.Assert(wrench.IsActive(fmt.Sprintf("bad/%d", i), "x"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.ERROR, "bad/"), gc.HasLen, wrench.MaxInvalidNames+1)
	c.Check(s.logged(loggo.ERROR, "bad category names were logged already, later ones are not"), gc.HasLen, 1)
	last := fmt.Sprintf(`"bad/%d"`, bad-1)
	for i := 0; i < 1000; i++ {
		c.Assert(wrench.IsActive(fmt.Sprintf("bad/%d", bad-1), "x"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.ERROR, last), gc.HasLen, 0)
	c.Check(s.logged(loggo.ERROR, "bad/"), gc.HasLen, wrench.MaxInvalidNames+1)
	_, invalid := wrench.RememberedCategories()
	c.Check(invalid, gc.Equals, wrench.MaxInvalidNames)
	// One remembered before the bound is still logged once only.
	for i := 0; i < 1000; i++ {
		wrench.IsActive("bad/0", "x")
	}
	c.Check(s.logged(loggo.ERROR, `"bad/0"`), gc.HasLen, 1)
}

func (s *categoriesSuite) TestALongBadNameIsLoggedOnce(c *gc.C) {
	long := make([]byte, 1<<20)
	for i := range long {
		long[i] = 'a'
	}
	for i := 0; i < 100; i++ {
		c.Assert(wrench.IsActive(string(long), "x"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.ERROR, "longer than 64 characters"), gc.HasLen, 1)
	_, invalid := wrench.RememberedCategories()
	c.Check(invalid, gc.Equals, 1)
}

// writerSuite tests the Go API that writes rules, observing the results
// through the disk and through IsActive.
type writerSuite struct {
	baseSuite
}

var (
	_ = gc.Suite(&writerSuite{baseSuite{exact: true}})
	_ = gc.Suite(&writerSuite{baseSuite{exact: false}})
)

// noWrenchDir points wrench at a fresh data directory without a wrench
// directory in it. (Removing the one there is not portable: wine 8 fails
// os.RemoveAll.)
func (s *baseSuite) noWrenchDir(c *gc.C) {
	s.dataDir = tempDir(c)
	s.dir = filepath.Join(s.dataDir, "wrench")
	wrench.SetDataDir(s.dataDir)
}

// content is the category file's content, or "<none>" when it is missing.
func (s *writerSuite) content(c *gc.C, category string) string {
	data, err := os.ReadFile(filepath.Join(s.dir, category))
	if os.IsNotExist(err) {
		return "<none>"
	}
	c.Assert(err, gc.IsNil)
	return string(data)
}

// entries lists the wrench directory, so a test sees every file a write
// left behind (temporary files included).
func (s *writerSuite) entries(c *gc.C) []string {
	return dirEntries(c, s.dir)
}

// dirEntries lists dir, but for the directories of live states, which
// a process reading a category makes on its own schedule.
func dirEntries(c *gc.C, dir string) []string {
	des, err := os.ReadDir(dir)
	c.Assert(err, gc.IsNil)
	names := []string{}
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), wrench.LiveDirPrefix) {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	return names
}

// unchanged asserts that the file at path is still the one fi described:
// the same file (not rewritten by a rename) with the same content.
func unchanged(c *gc.C, path string, fi os.FileInfo, content string) {
	now, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	c.Check(os.SameFile(fi, now), gc.Equals, true, gc.Commentf("%s was replaced", path))
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, content)
}

func lstat(c *gc.C, path string) os.FileInfo {
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	return fi
}

func (s *writerSuite) TestSetArmsAndUnsetDisarms(c *gc.C) {
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	c.Assert(wrench.Set("agent", "refuse-upgrade", ""), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	c.Assert(wrench.Set("agent", "refuse-upgrade", "off"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	c.Assert(wrench.Set("agent", "refuse-upgrade", "2*on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	// Setting the same rule again keeps its count: it stays spent. A
	// changed line re-arms it.
	c.Assert(wrench.Set("agent", "refuse-upgrade", "2*on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Assert(wrench.Set("agent", "refuse-upgrade", "1*on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	c.Assert(wrench.Unset("agent", "refuse-upgrade"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.content(c, "agent"), gc.Equals, "")
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})
}

func (s *writerSuite) TestSetKeepsEveryOtherLine(c *gc.C) {
	before := "# machine agent\n\nfail-lease   30%on   # flaky lease\r\nbad on#x  # typo\n  slow sleep(2s)\n"
	s.writeFile(c, "agent", before)
	c.Assert(wrench.Set("agent", "fail-lease", "100%on"), gc.IsNil)
	c.Assert(wrench.Set("agent", "new", "1*on"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals,
		"# machine agent\n\nfail-lease   100%on   # flaky lease\r\nbad on#x  # typo\n  slow sleep(2s)\nnew 1*on\n")
	c.Check(wrench.IsActive("agent", "fail-lease"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "new"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "new"), gc.Equals, false)
}

// TestEditsDoWhatTheySay: whatever a file keeps (a comment that is not
// valid UTF-8, a last line ending in a lone CR, a byte-order mark), after
// Set or Unset returns nil IsActive answers as asked.
func (s *writerSuite) TestEditsDoWhatTheySay(c *gc.C) {
	// The old line's comment would keep the rewritten line invalid.
	s.writeFile(c, "agent", "keep on # ok\na off # caf\xe9\n")
	c.Assert(wrench.Set("agent", "a", "on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)
	c.Check(s.content(c, "agent"), gc.Equals, "keep on # ok\na on\n")

	// A last line "feat\r" is feat's line: set replaces it rather than
	// adding a line it shadows, and unset removes it.
	s.writeFile(c, "agent", "keep on\nfeat\r")
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, true)
	c.Assert(wrench.Set("agent", "feat", "off"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, false)
	c.Check(s.content(c, "agent"), gc.Equals, "keep on\nfeat off\r")

	s.writeFile(c, "agent", "keep on\nfeat\r")
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, true)
	c.Assert(wrench.Unset("agent", "feat"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "feat"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)
	c.Check(s.content(c, "agent"), gc.Equals, "keep on\n")

	// A new line after a last line ending in a lone CR is a line of its
	// own.
	s.writeFile(c, "agent", "keep on\r")
	c.Assert(wrench.Set("agent", "new", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "new"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)

	// A byte-order mark stays where it is, and the first line is the
	// feature after it: set edits that line in place rather than adding
	// a second line for the feature.
	s.writeFile(c, "agent", "\ufeffrefuse-upgrade off # first\nkeep on\n")
	c.Assert(wrench.Set("agent", "refuse-upgrade", "2*on"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "\ufeffrefuse-upgrade 2*on # first\nkeep on\n")
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)
	c.Assert(wrench.Unset("agent", "refuse-upgrade"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "\ufeffkeep on\n")
	c.Check(wrench.IsActive("agent", "keep"), gc.Equals, true)

	// And IsActive reads the edited first line after the mark.
	s.writeFile(c, "agent", "\ufeffrefuse-upgrade off\n")
	c.Assert(wrench.Set("agent", "refuse-upgrade", "on"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Assert(wrench.Set("agent", "refuse-upgrade", "off"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *writerSuite) TestSetWritesTheCanonicalTrigger(c *gc.C) {
	c.Assert(wrench.Set("agent", "a", "030%2*return"), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a 30%2*return\n")
}

func (s *writerSuite) TestSetRefusesWhatIsActiveWouldSkip(c *gc.C) {
	path := s.writeFile(c, "agent", "a on # keep me\n")
	fi := lstat(c, path)
	for i, t := range []struct {
		feature, trigger, err string
	}{
		{"b", "on#x", `.*[/\\]agent: bad trigger "on#x": term "on#x": unknown action "on#x" .*`},
		{"b", "#x", `.*[/\\]agent: bad trigger "#x": a trigger is one field.*`},
		{"b", "sleep", `.*[/\\]agent: bad trigger "sleep": .*sleep needs a duration.*`},
		{"b", "on->repeat", `.*[/\\]agent: bad trigger "on->repeat": .*`},
		{"b", "on # comment", `.*[/\\]agent: bad trigger "on # comment": a trigger is one field.*`},
		{"b", "on\nc", `.*[/\\]agent: bad trigger "on\\nc": a trigger is one field.*`},
		{"b", "0%on", `.*[/\\]agent: bad trigger "0%on": .*`},
		{"#b", "on", `.*[/\\]agent: feature name "#b" starts with "#".*`},
		{"b c", "on", `.*[/\\]agent: feature name "b c" contains a space.*`},
		{"", "on", `.*[/\\]agent: empty feature name`},
	} {
		c.Logf("test %d: %q %q", i, t.feature, t.trigger)
		err := wrench.Set("agent", t.feature, t.trigger)
		c.Check(err, gc.ErrorMatches, t.err)
		unchanged(c, path, fi, "a on # keep me\n")
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{"agent"})
}

func (s *writerSuite) TestBadCategoryIsRefused(c *gc.C) {
	s.noWrenchDir(c)
	for _, category := range []string{"", "../etc", "a/b", ".hidden", "a b", strings.Repeat("x", 65), ".lock"} {
		c.Logf("category %q", category)
		c.Check(wrench.Set(category, "a", "on"), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Apply(category, []byte("a\n")), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Unset(category, "a"), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Release(category, "a", 1), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		c.Check(wrench.Clear(category), gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
	}
	// Nothing was created, not even the wrench directory.
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestSetCreatesTheDirectory(c *gc.C) {
	s.noWrenchDir(c)
	c.Assert(wrench.Set("agent", "a", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
}

func (s *writerSuite) TestMissingDataDirIsAnError(c *gc.C) {
	missing := filepath.Join(s.dataDir, "typo")
	wrench.SetDataDir(missing)
	c.Check(wrench.Set("agent", "a", ""), gc.ErrorMatches, `cannot create .*[/\\]typo[/\\]wrench: data directory .*[/\\]typo does not exist`)
	c.Check(wrench.Apply("agent", nil), gc.ErrorMatches, `cannot create .*[/\\]typo[/\\]wrench: data directory .*[/\\]typo does not exist`)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{"wrench"})
}

func (s *writerSuite) TestUnsetOfWhatIsNotThereWritesNothing(c *gc.C) {
	path := s.writeFile(c, "agent", "a\n")
	fi := lstat(c, path)
	c.Assert(wrench.Unset("agent", "b"), gc.IsNil)
	unchanged(c, path, fi, "a\n")

	c.Assert(wrench.Unset("other", "b"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})

	s.noWrenchDir(c)
	c.Assert(wrench.Unset("agent", "b"), gc.IsNil)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestApply(c *gc.C) {
	s.writeFile(c, "agent", "old on\n")
	rules := "# from CI\nrefuse-upgrade\nrun-hook 2*on->1*off->repeat # 2 of 3\n"
	c.Assert(wrench.Apply("agent", []byte(rules)), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, rules)
	c.Check(wrench.IsActive("agent", "old"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "run-hook"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "run-hook"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "run-hook"), gc.Equals, false)

	c.Assert(wrench.Apply("agent", nil), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *writerSuite) TestApplyRefusesAnyBadLine(c *gc.C) {
	path := s.writeFile(c, "agent", "old on\n")
	fi := lstat(c, path)
	for i, t := range []struct {
		rules, err string
	}{
		{"a\nb on#x\n", `.*[/\\]agent:2: bad trigger "on#x": .*: nothing written`},
		{"a\nb on#x\nc bogus\nd 1*\n", `.*[/\\]agent:2: bad trigger "on#x": .* \(and 2 more problems\): nothing written`},
		{"a\n# fine\na off\n", `.*[/\\]agent:3: feature "a" is already set on line 1, which wins: nothing written`},
		{"a on extra\n", `.*[/\\]agent:1: extra field "extra" .*`},
		{"a\n\xff\n", `.*[/\\]agent:2: line is not valid UTF-8: nothing written`},
		{strings.Repeat("#\n", wrench.MaxFileSize/2+1), `.*[/\\]agent: 65538 bytes of rules, over the 65536 byte limit IsActive reads: nothing written`},
	} {
		c.Logf("test %d", i)
		c.Check(wrench.Apply("agent", []byte(t.rules)), gc.ErrorMatches, t.err)
		unchanged(c, path, fi, "old on\n")
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{"agent"})
}

func (s *writerSuite) TestSetRefusesToGrowOverTheLimit(c *gc.C) {
	big := strings.Repeat("#", wrench.MaxFileSize-10) + "\n"
	path := s.writeFile(c, "agent", big)
	fi := lstat(c, path)
	c.Check(wrench.Set("agent", "feature", "on"), gc.ErrorMatches, `.*[/\\]agent would be 65538 bytes, over the 65536 byte limit IsActive reads: nothing written`)
	unchanged(c, path, fi, big)
}

func (s *writerSuite) TestClear(c *gc.C) {
	for _, name := range []string{"a", "b", "c", "not a category", ".hidden"} {
		s.writeFile(c, name, "x\n")
	}
	leftover := wrench.TempName("a")
	s.writeFile(c, leftover, "half a fi")

	c.Assert(wrench.Clear("a", "missing"), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{leftover, ".hidden", wrench.LockName, "b", "c", "not a category"})
	c.Check(wrench.IsActive("a", "x"), gc.Equals, false)
	c.Check(wrench.IsActive("b", "x"), gc.Equals, true)

	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(s.entries(c), gc.DeepEquals, []string{".hidden", wrench.LockName, "not a category"})
	c.Check(wrench.IsActive("b", "x"), gc.Equals, false)

	s.noWrenchDir(c)
	c.Check(wrench.Clear(), gc.IsNil)
	c.Check(wrench.Clear("a"), gc.IsNil)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestClearRefusesADirectory(c *gc.C) {
	c.Assert(os.Mkdir(filepath.Join(s.dir, "agent"), 0o755), gc.IsNil)
	s.settle()
	c.Check(wrench.Clear("agent"), gc.ErrorMatches, `cannot remove .*[/\\]wrench[/\\]agent: it is a directory, not a category file \(remove it by hand\)`)
	// Set and the like say the same, not that clear would remove it.
	c.Check(wrench.Set("agent", "a", "on"), gc.ErrorMatches, `.*[/\\]agent is a directory, not a regular file, so IsActive .* would not trust it: refusing to edit it \(remove the directory by hand\)`)
	c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, `.*\(remove the directory by hand\)`)
}

// TestClearRemovesEveryFileItCan: directories where category files would
// be, whatever their place in the directory's order, stop nothing: every
// file goes, then every directory is reported.
func (s *writerSuite) TestClearRemovesEveryFileItCan(c *gc.C) {
	for _, name := range []string{"0first", "zzlast"} {
		c.Assert(os.Mkdir(filepath.Join(s.dir, name), 0o755), gc.IsNil)
		s.settle()
	}
	for _, name := range []string{"b", "m", "y"} {
		s.writeFile(c, name, "x\n")
		c.Check(wrench.IsActive(name, "x"), gc.Equals, true)
	}
	dirError := func(name string) string {
		return `cannot remove .*[/\\]wrench[/\\]` + name + `: it is a directory, not a category file \(remove it by hand\)`
	}
	c.Check(wrench.Clear(), gc.ErrorMatches, `2 entries not cleared: `+dirError("0first")+`; `+dirError("zzlast"))
	for _, name := range []string{"b", "m", "y"} {
		c.Check(wrench.IsActive(name, "x"), gc.Equals, false, gc.Commentf("category %s", name))
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "0first", "zzlast"})

	// Named categories too: a directory first stops nothing.
	for _, name := range []string{"b", "m"} {
		s.writeFile(c, name, "x\n")
	}
	c.Check(wrench.Clear("zzlast", "b", "0first", "m"), gc.ErrorMatches, `2 entries not cleared: `+dirError("zzlast")+`; `+dirError("0first"))
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "0first", "zzlast"})
}

// TestAMissingDataDirIsAnErrorForEveryone: a mistyped data directory is
// never "nothing is armed".
func (s *writerSuite) TestAMissingDataDirIsAnErrorForEveryone(c *gc.C) {
	for _, t := range []struct{ dataDir, err string }{
		{filepath.Join(s.dataDir, "typo"), `data directory .*[/\\]typo does not exist`},
		{filepath.Join(s.dataDir, "typo", "deeper"), `data directory .*[/\\]typo[/\\]deeper does not exist`},
		{s.writeFile(c, "a-file", ""), `data directory .*[/\\]a-file is not a directory`},
	} {
		c.Logf("data directory %s", t.dataDir)
		wrench.SetDataDir(t.dataDir)
		_, err := wrench.List()
		c.Check(err, gc.ErrorMatches, t.err)
		_, err = wrench.List("agent")
		c.Check(err, gc.ErrorMatches, t.err)
		_, err = wrench.Check()
		c.Check(err, gc.ErrorMatches, t.err)
		c.Check(wrench.Unset("agent", "a"), gc.ErrorMatches, t.err)
		c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, t.err)
		c.Check(wrench.Clear(), gc.ErrorMatches, t.err)
		c.Check(wrench.Clear("agent"), gc.ErrorMatches, t.err)
		c.Check(wrench.Set("agent", "a", ""), gc.ErrorMatches, `cannot create .*: `+t.err+`|cannot create .*: not a directory`)
	}
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{"wrench"})

	// A data directory without a wrench directory is fine: nothing armed.
	s.noWrenchDir(c)
	files, err := wrench.List()
	c.Check(err, gc.IsNil)
	c.Check(files, gc.HasLen, 0)
	report, err := wrench.Check()
	c.Check(err, gc.IsNil)
	c.Check(report.OK(), gc.Equals, true)
	c.Check(wrench.Unset("agent", "a"), gc.IsNil)
	c.Check(wrench.Clear(), gc.IsNil)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestRelease(c *gc.C) {
	c.Assert(wrench.Set("agent", "start-hook", "pause"), gc.IsNil)
	c.Assert(wrench.Release("agent", "start-hook", 2), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 2*off->pause\n")
	// Releases add up.
	c.Assert(wrench.Release("agent", "start-hook", 1), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 3*off->pause\n")
	// Paused again by hand, the sum starts again.
	c.Assert(wrench.Set("agent", "start-hook", "pause"), gc.IsNil)
	c.Assert(wrench.Release("agent", "start-hook", 1), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "start-hook 1*off->pause\n")
}

func (s *writerSuite) TestReleaseNeedsAPausedRule(c *gc.C) {
	path := s.writeFile(c, "agent", "a on\nb 3*on->pause # held\n")
	fi := lstat(c, path)
	c.Check(wrench.Release("agent", "a", 1), gc.ErrorMatches, `.*[/\\]agent:1: rule "on" for "a" has no pause, so there is nothing to release`)
	c.Check(wrench.Release("agent", "c", 1), gc.ErrorMatches, `.*[/\\]agent: no rule for "c", so there is nothing to release`)
	c.Check(wrench.Release("agent", "b", 0), gc.ErrorMatches, `cannot release 0 calls: the count must be at least 1`)
	c.Check(wrench.Release("agent", "b", -2), gc.ErrorMatches, `cannot release -2 calls: the count must be at least 1`)
	c.Check(wrench.Release("other", "b", 1), gc.ErrorMatches, `.*[/\\]other: no rule for "b", so there is nothing to release`)
	unchanged(c, path, fi, "a on\nb 3*on->pause # held\n")

	c.Assert(wrench.Release("agent", "b", 5), gc.IsNil)
	c.Check(s.content(c, "agent"), gc.Equals, "a on\nb 5*off->pause # held\n")

	s.noWrenchDir(c)
	c.Check(wrench.Release("agent", "b", 1), gc.ErrorMatches, `.*[/\\]agent: no rule for "b", so there is nothing to release`)
	c.Check(dirEntries(c, s.dataDir), gc.DeepEquals, []string{})
}

func (s *writerSuite) TestAFailedWriteLeavesTheOldFile(c *gc.C) {
	const before = "a on # original\nb pause\n"
	path := s.writeFile(c, "agent", before)
	fi := lstat(c, path)
	for _, step := range []string{"create", "rename"} {
		restore := wrench.SetWriteFault(func(at string) error {
			if at == step {
				return errors.New("disk on fire")
			}
			return nil
		})
		for i, write := range []func() error{
			func() error { return wrench.Set("agent", "a", "off") },
			func() error { return wrench.Set("agent", "c", "") },
			func() error { return wrench.Unset("agent", "a") },
			func() error { return wrench.Release("agent", "b", 1) },
			func() error { return wrench.Apply("agent", []byte("z\n")) },
		} {
			c.Logf("%s fails, write %d", step, i)
			c.Check(write(), gc.ErrorMatches, `cannot (create a temporary file for|rename .* to) .*[/\\]agent: disk on fire`)
			unchanged(c, path, fi, before)
			c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})
		}
		restore()
	}
	c.Check(wrench.IsActive("agent", "a"), gc.Equals, true)
}

func (s *writerSuite) TestConcurrentSetsLoseNothing(c *gc.C) {
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- wrench.Set("agent", fmt.Sprintf("feature-%d", i), "on")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.Check(err, gc.IsNil)
	}
	rules, problems := wrench.ParseFile("agent", []byte(s.content(c, "agent")))
	c.Check(problems, gc.HasLen, 0)
	c.Check(rules, gc.HasLen, writers)
	for i := range writers {
		c.Check(wrench.IsActive("agent", fmt.Sprintf("feature-%d", i)), gc.Equals, true)
	}
	c.Check(s.entries(c), gc.DeepEquals, []string{wrench.LockName, "agent"})
}

// listSuite tests List and the errors List and Check share with the
// writers.
type listSuite struct {
	baseSuite
}

var (
	_ = gc.Suite(&listSuite{baseSuite{exact: true}})
	_ = gc.Suite(&listSuite{baseSuite{exact: false}})
)

func (s *listSuite) TestList(c *gc.C) {
	s.writeFile(c, "machine-agent", "# comment\nrefuse-upgrade\nfail-lease 30%on # flaky\nbad on#x\n")
	s.writeFile(c, "api", "slow-dial sleep(2s)\n")
	s.writeFile(c, "not a category", "x\n")
	s.writeFile(c, ".hidden", "x\n")

	files, err := wrench.List()
	c.Assert(err, gc.IsNil)
	c.Assert(files, gc.HasLen, 2)
	api, agent := files[0], files[1]
	c.Check(api.Category, gc.Equals, "api")
	c.Check(api.Path, gc.Equals, filepath.Join(s.dir, "api"))
	c.Assert(api.Rules, gc.HasLen, 1)
	c.Check(api.Rules[0].Feature, gc.Equals, "slow-dial")
	c.Check(api.Rules[0].Trigger, gc.Equals, "sleep(2s)")
	c.Check(api.Problems, gc.HasLen, 0)
	c.Check(api.Unreadable, gc.Equals, "")

	c.Check(agent.Category, gc.Equals, "machine-agent")
	c.Assert(agent.Rules, gc.HasLen, 2)
	c.Check(agent.Rules[0].Feature, gc.Equals, "refuse-upgrade")
	c.Check(agent.Rules[0].Trigger, gc.Equals, "on")
	c.Check(agent.Rules[0].Line, gc.Equals, 2)
	c.Check(agent.Rules[1].Feature, gc.Equals, "fail-lease")
	c.Check(agent.Rules[1].Trigger, gc.Equals, "30%on")
	c.Check(agent.Rules[1].Line, gc.Equals, 3)
	c.Assert(agent.Problems, gc.HasLen, 1)
	c.Check(agent.Problems[0].Line, gc.Equals, 4)
	c.Check(agent.Problems[0].Text, gc.Equals, "bad on#x")
	c.Check(agent.Problems[0].Error(), gc.Matches, `.*[/\\]machine-agent:4: bad trigger "on#x": .*`)

	// Named categories come in the order named, once each; one without a
	// file is left out.
	files, err = wrench.List("machine-agent", "missing", "api", "machine-agent")
	c.Assert(err, gc.IsNil)
	c.Assert(files, gc.HasLen, 2)
	c.Check(files[0].Category, gc.Equals, "machine-agent")
	c.Check(files[1].Category, gc.Equals, "api")
}

func (s *listSuite) TestListWithoutADirectory(c *gc.C) {
	s.noWrenchDir(c)
	files, err := wrench.List()
	c.Check(err, gc.IsNil)
	c.Check(files, gc.HasLen, 0)
	files, err = wrench.List("agent")
	c.Check(err, gc.IsNil)
	c.Check(files, gc.HasLen, 0)
}

func (s *listSuite) TestListOfAFileOverTheLimit(c *gc.C) {
	s.writeFile(c, "agent", string(make([]byte, wrench.MaxFileSize+1)))
	files, err := wrench.List()
	c.Assert(err, gc.IsNil)
	c.Assert(files, gc.HasLen, 1)
	c.Check(files[0].Unreadable, gc.Equals, "is 65537 bytes, over the 65536 byte limit")
	c.Check(files[0].Rules, gc.HasLen, 0)
}

func (s *listSuite) TestBadCategoryIsRefused(c *gc.C) {
	for _, category := range []string{"", "../etc", "a/b", ".lock"} {
		c.Logf("category %q", category)
		_, err := wrench.List("agent", category)
		c.Check(err, gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
		_, err = wrench.Check(category)
		c.Check(err, gc.ErrorMatches, `.*[/\\]wrench: (empty category name|category name .*)`)
	}
}

func (s *listSuite) TestListSaysAFileHasAByteOrderMark(c *gc.C) {
	s.writeFile(c, "bom", "\ufeffrefuse-upgrade\n")
	s.writeFile(c, "plain", "refuse-upgrade\n")
	files, err := wrench.List()
	c.Assert(err, gc.IsNil)
	c.Assert(files, gc.HasLen, 2)
	c.Check(files[0].BOM, gc.Equals, true)
	c.Check(files[0].Rules[0].Feature, gc.Equals, "refuse-upgrade")
	c.Check(files[1].BOM, gc.Equals, false)

	r, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Assert(r.Files, gc.HasLen, 2)
	c.Check(r.Files[0].BOM, gc.Equals, true)
	c.Check(r.Files[0].Lines, gc.DeepEquals, []wrench.LineReport{
		{Line: 1, Text: "refuse-upgrade", Feature: "refuse-upgrade", Trigger: "on", Honoured: wrench.IsActive("bom", "refuse-upgrade")},
	})
	c.Check(r.Files[0].Lines[0].Honoured, gc.Equals, true)
	c.Check(r.Files[1].BOM, gc.Equals, false)
	c.Check(r.OK(), gc.Equals, true)
}

// seedSuite proves that chance is replayable: WRENCH_SEED fixes every
// rule's draws, and each rule draws from a stream of its own.
type seedSuite struct{ baseSuite }

var (
	_ = gc.Suite(&seedSuite{baseSuite{exact: true}})
	_ = gc.Suite(&seedSuite{baseSuite{exact: false}})
)

// askWithSeed runs a child process with WRENCH_SEED=seed (unset when seed
// is "") asking the given features of category agent in order, and returns
// its answers and its log.
func (s *seedSuite) askWithSeed(c *gc.C, seed string, features ...string) (answers, log string) {
	cmd := s.child("ask")
	cmd.Env = append(cmd.Env, "WRENCH_TEST_FEATURES="+strings.Join(features, " "))
	if seed != "" {
		cmd.Env = append(cmd.Env, wrench.SeedVariable+"="+seed)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	c.Assert(err, gc.IsNil, gc.Commentf("%s", stderr.String()))
	return string(out), stderr.String()
}

// only keeps the answers for feature, in order.
func only(answers, feature string) string {
	var b strings.Builder
	for _, line := range strings.Split(answers, "\n") {
		if strings.HasPrefix(line, feature+"=") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func (s *seedSuite) TestTheSameSeedMakesTheSameDecisions(c *gc.C) {
	s.writeFile(c, "agent", "x 50%on\ny 30%on->50%off\n")
	xs := make([]string, 64)
	for i := range xs {
		xs[i] = "x"
	}
	first, _ := s.askWithSeed(c, "42", xs...)
	again, _ := s.askWithSeed(c, "42", xs...)
	c.Check(again, gc.Equals, first)
	c.Check(strings.Count(first, "=true") > 10 && strings.Count(first, "=false") > 10, gc.Equals, true, gc.Commentf("%s", first))
	other, _ := s.askWithSeed(c, "43", xs...)
	c.Check(other, gc.Not(gc.Equals), first)

	// Asking another feature in between shifts nothing: x draws from
	// its own stream.
	var mixed []string
	for i := range xs {
		mixed = append(mixed, "y", "x")
		if i%2 == 0 {
			mixed = append(mixed, "y")
		}
	}
	interleaved, _ := s.askWithSeed(c, "42", mixed...)
	c.Check(only(interleaved, "x"), gc.Equals, first)
}

func (s *seedSuite) TestWithoutASeedRunsDiffer(c *gc.C) {
	s.writeFile(c, "agent", "x 50%on\n")
	xs := make([]string, 64)
	for i := range xs {
		xs[i] = "x"
	}
	a, _ := s.askWithSeed(c, "", xs...)
	b, _ := s.askWithSeed(c, "", xs...)
	c.Check(a, gc.Not(gc.Equals), b) // equal by chance once in 2^64
}

func (s *seedSuite) TestAChanceFiringLogsTheSeed(c *gc.C) {
	s.writeFile(c, "agent", "x 100%on\ny on\n")
	c.Check(sequence("agent", "x", 2), gc.Equals, "TT")
	c.Check(sequence("agent", "y", 1), gc.Equals, "T")
	c.Check(s.logged(loggo.INFO, fmt.Sprintf(`agent:x: on fired (rule "100%%on", line 1, seed %d)`, wrench.Seed())), gc.HasLen, 1)
	c.Check(s.logged(loggo.INFO, `agent:y: on fired (rule "on", line 2)`), gc.HasLen, 1)
}

func (s *seedSuite) TestABadSeedIsSaidAndReplaced(c *gc.C) {
	s.writeFile(c, "agent", "x 50%on\n")
	_, log := s.askWithSeed(c, "forty-two", "x")
	c.Check(log, gc.Matches, `(?s).*WARNING wrench .*WRENCH_SEED="forty-two" is not a whole number from 0 to 18446744073709551615: using the random seed \d+ instead.*`)
}

// twinsSuite holds the platform halves of the root to their contract:
// wrench_unix.go and wrench_windows.go define the same names with the same
// signatures, and only look at the disk; wrench.go decides.
type twinsSuite struct{}

var _ = gc.Suite(&twinsSuite{})

// twinDecls parses a platform file of the root and returns its top-level
// names (a method as Type.name) with their signatures, leaving out those
// whose doc comment says they are for one platform only, and every
// identifier the file uses.
func twinDecls(c *gc.C, name string) (decls map[string]string, used map[string]bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
	c.Assert(err, gc.IsNil)
	onePlatform := func(doc *ast.CommentGroup) bool {
		text := doc.Text()
		return strings.Contains(text, "Unix only") || strings.Contains(text, "Windows only")
	}
	typeText := func(e ast.Expr) string {
		var b strings.Builder
		c.Assert(printer.Fprint(&b, fset, e), gc.IsNil)
		return b.String()
	}
	fieldTypes := func(fl *ast.FieldList) string {
		if fl == nil {
			return ""
		}
		var types []string
		for _, field := range fl.List {
			n := max(len(field.Names), 1)
			for range n {
				types = append(types, typeText(field.Type))
			}
		}
		return "(" + strings.Join(types, ", ") + ")"
	}
	decls = map[string]string{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if onePlatform(d.Doc) {
				continue
			}
			key := d.Name.Name
			if d.Recv != nil {
				key = strings.TrimPrefix(typeText(d.Recv.List[0].Type), "*") + "." + key
			}
			decls[key] = fieldTypes(d.Type.Params) + " " + fieldTypes(d.Type.Results)
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					if !onePlatform(d.Doc) && !onePlatform(spec.Doc) {
						decls[spec.Name.Name] = "type"
					}
				case *ast.ValueSpec:
					for _, n := range spec.Names {
						decls[n.Name] = "value"
					}
				}
			}
		}
	}
	used = map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	return decls, used
}

// TestPlatformHalvesAreTwins: a reader learns the contract of a platform
// name in one file and finds its mechanics in the other; nothing else
// differs by platform.
func (*twinsSuite) TestPlatformHalvesAreTwins(c *gc.C) {
	unixDecls, _ := twinDecls(c, "wrench_unix.go")
	windowsDecls, _ := twinDecls(c, "wrench_windows.go")
	for name, sig := range unixDecls {
		other, ok := windowsDecls[name]
		if !c.Check(ok, gc.Equals, true, gc.Commentf("%s is defined in wrench_unix.go only (say \"Unix only\" in its doc if it is meant to be)", name)) {
			continue
		}
		c.Check(other, gc.Equals, sig, gc.Commentf("%s differs between the platforms", name))
	}
	for name := range windowsDecls {
		_, ok := unixDecls[name]
		c.Check(ok, gc.Equals, true, gc.Commentf("%s is defined in wrench_windows.go only (say \"Windows only\" in its doc if it is meant to be)", name))
	}
}

// TestPlatformHalvesOnlyLook: the platform files look at the disk and
// return what they found; building, logging and keeping snapshots, and the
// size limit, belong to the portable half and the packages below, so a
// call goes down and comes back without climbing up again.
func (*twinsSuite) TestPlatformHalvesOnlyLook(c *gc.C) {
	for _, name := range []string{"wrench_unix.go", "wrench_windows.go"} {
		_, used := twinDecls(c, name)
		for _, portable := range []string{"newSnapshot", "refusedSnapshot", "keep", "usable", "forget", "snap", "MaxFileSize"} {
			c.Check(used[portable], gc.Equals, false, gc.Commentf("%s uses %s", name, portable))
		}
	}
}

// TestPhrasesHaveOneSource: users match these phrases in logs and
// scripts, so each is typed once in the library's code, and every message
// that says it goes through that one place.
func (*twinsSuite) TestPhrasesHaveOneSource(c *gc.C) {
	phrases := []string{"is not a directory\"", "hard links, not 1", "byte limit IsActive reads", ", not a regular file", "\"cannot be opened: %v", "\"cannot be read: %v"}
	count := map[string]int{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "e2e" || path == "examples" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, p := range phrases {
			count[p] += strings.Count(string(data), p)
		}
		return nil
	})
	c.Assert(err, gc.IsNil)
	for _, p := range phrases {
		c.Check(count[p], gc.Equals, 1, gc.Commentf("%q", p))
	}
}

// TestInternalPackagesNeverImportTheRoot: imports run one way, from the
// root down into internal/, so a call goes down through the packages and
// comes back with an answer, never up into the package it came from.
func (s *twinsSuite) TestInternalPackagesNeverImportTheRoot(c *gc.C) {
	const root = "github.com/go-wrench/wrench"
	seen := 0
	err := filepath.WalkDir("internal", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		seen++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			c.Check(p == root || !strings.HasPrefix(p, root+"/internal/") && strings.HasPrefix(p, root+"/"), gc.Equals, false,
				gc.Commentf("%s imports %s", path, p))
		}
		return nil
	})
	c.Assert(err, gc.IsNil)
	c.Check(seen > 20, gc.Equals, true, gc.Commentf("read %d files", seen))
}

// liveSuite proves the live state (SPEC 7) of this very process: what its
// rules do, published by its publisher and read back by Status and Wait.
// The agents of other processes and users are e2e's.
type liveSuite struct{ baseSuite }

var (
	_ = gc.Suite(&liveSuite{baseSuite{exact: true}})
	_ = gc.Suite(&liveSuite{baseSuite{exact: false}})
)

// waitFor waits until cond holds for category's status, and returns it.
func waitFor(c *gc.C, category, feature string, cond wrench.Condition) wrench.CategoryStatus {
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	st, err := wrench.Wait(ctx, category, feature, cond)
	c.Assert(err, gc.IsNil, gc.Commentf("waiting for %v of %s:%s; last status %+v", cond, category, feature, st))
	return *st.Category(category)
}

// mine is this process's status in cs.
func mine(c *gc.C, cs wrench.CategoryStatus) wrench.ProcessStatus {
	for _, p := range cs.Processes {
		if p.PID == os.Getpid() {
			return p
		}
	}
	c.Fatalf("this process is not in %+v", cs)
	panic("unreachable")
}

// rule is p's rule for feature.
func rule(c *gc.C, p wrench.ProcessStatus, feature string) wrench.RuleStatus {
	for _, r := range p.Rules {
		if r.Feature == feature {
			return r
		}
	}
	c.Fatalf("no rule for %s in %+v", feature, p)
	panic("unreachable")
}

func (s *liveSuite) TestAProcessThatNeverSeesARulesFileWritesNothing(c *gc.C) {
	for i := 0; i < 10; i++ {
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	}
	c.Check(wrench.Publishing(), gc.Equals, false)
	live := filepath.Join(s.dir, wrench.LiveDirName())
	c.Check(dirEntries(c, live), gc.DeepEquals, []string{})
	// A file in another category, never asked, changes nothing either.
	s.writeFile(c, "other", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.Publishing(), gc.Equals, false)
	// The first call that finds a file starts it.
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Check(wrench.Publishing(), gc.Equals, true)
	cs := waitFor(c, "agent", "x", wrench.WhenFired(1))
	c.Check(cs.Processes, gc.HasLen, 1)
	st, err := wrench.Status()
	c.Assert(err, gc.IsNil)
	c.Check(st.Categories, gc.HasLen, 1, gc.Commentf("only the category asked is read: %+v", st))
}

func (s *liveSuite) TestStatusShowsWhatEachRuleDoes(c *gc.C) {
	s.writeFile(c, "agent", "# rules\nx on\ncounted 2*on->off\nhold pause\nslow sleep(1h)\n")
	slept := make(chan struct{})
	s.addRestore(wrench.SetSleep(func(d time.Duration, wake <-chan struct{}) {
		select {
		case <-slept:
		case <-wake:
		}
	}))
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(wrench.IsActive("agent", "counted"), gc.Equals, true)
	for i := 0; i < 3; i++ {
		c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	}
	returned := make(chan bool, 2)
	go func() { returned <- wrench.IsActive("agent", "hold") }()
	go func() { returned <- wrench.IsActive("agent", "slow") }()
	waitFor(c, "agent", "hold", wrench.WhenPaused(1))
	cs := waitFor(c, "agent", "slow", wrench.WhenFired(1))
	p := mine(c, cs)
	c.Check(p.EUID, gc.Equals, os.Geteuid())
	c.Check(p.Seed, gc.Equals, wrench.Seed())
	c.Check(p.Exact, gc.Equals, s.exact)
	c.Check(p.Loaded, gc.Equals, true)
	c.Check(p.Version, gc.Equals, cs.Version)
	c.Check(p.Version, gc.Matches, "[0-9a-f]{64}")
	c.Check(p.Executable, gc.Not(gc.Equals), "")
	c.Check(p.Started.IsZero(), gc.Equals, runtime.GOOS != "linux" && runtime.GOOS != "windows")

	x := rule(c, p, "x")
	c.Check(x.Line, gc.Equals, 2)
	c.Check(x.Fired, gc.Equals, uint64(1))
	c.Check(x.Remaining, gc.DeepEquals, []int{wrench.Unlimited})
	c.Check(x.LastFired.IsZero(), gc.Equals, false)
	counted := rule(c, p, "counted")
	c.Check(counted.Trigger, gc.Equals, "2*on->off")
	c.Check(counted.Remaining, gc.DeepEquals, []int{1, wrench.Unlimited})
	hold := rule(c, p, "hold")
	c.Check(hold.Paused, gc.Equals, int64(1))
	c.Check(hold.Fired, gc.Equals, uint64(1))
	slow := rule(c, p, "slow")
	c.Check(slow.Sleeping, gc.Equals, int64(1))
	c.Check(p.Unruled, gc.HasLen, 1)
	c.Check(p.Unruled[0].Feature, gc.Equals, "refuse-upgrade")
	c.Check(cs.Unasked("refuse-upgrad"), gc.Equals, true)
	c.Check(cs.Unasked("refuse-upgrade"), gc.Equals, false)
	c.Check(cs.Unasked("x"), gc.Equals, false)

	// Released, they show so.
	close(slept)
	c.Check(<-returned, gc.Equals, false)
	s.writeFile(c, "agent", "# rules\nx on\ncounted 2*on->off\nhold off\nslow sleep(1h)\n")
	c.Check(<-returned, gc.Equals, false)
	cs = waitFor(c, "agent", "hold", wrench.WhenPaused(0))
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	for {
		st, err := wrench.Status("agent")
		c.Assert(err, gc.IsNil)
		p = mine(c, st.Categories[0])
		if rule(c, p, "slow").Sleeping == 0 && rule(c, p, "hold").Paused == 0 {
			break
		}
		select {
		case <-ctx.Done():
			c.Fatalf("the released calls still show: %+v", p)
		case <-time.After(time.Millisecond):
		}
	}
}

func (s *liveSuite) TestCallsEvaluatedShowWithinASecond(c *gc.C) {
	s.writeFile(c, "agent", "x off\n")
	for i := 0; i < 5; i++ {
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	}
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	for {
		st, err := wrench.Status("agent")
		c.Assert(err, gc.IsNil)
		if len(st.Categories[0].Processes) == 1 && rule(c, mine(c, st.Categories[0]), "x").Evaluated == 5 {
			break
		}
		select {
		case <-ctx.Done():
			c.Fatalf("5 calls evaluated never showed: %+v", st)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (s *liveSuite) TestFiredCountsSinceTheLineLastChanged(c *gc.C) {
	s.writeFile(c, "agent", "x on\n")
	for i := 0; i < 3; i++ {
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	}
	waitFor(c, "agent", "x", wrench.WhenFired(3))
	// Another feature's edit keeps x's count.
	s.writeFile(c, "agent", "x on\ny on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(4))
	// A change of x's line starts it afresh.
	s.writeFile(c, "agent", "x 5*on\ny on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	// The new line's state may be published before its firing is.
	r := waitRule(c, "agent", "x", func(r wrench.RuleStatus) bool { return r.Trigger == "5*on" && r.Fired > 0 })
	c.Check(r.Fired, gc.Equals, uint64(1))
	c.Check(r.Remaining, gc.DeepEquals, []int{4})
}

func (s *liveSuite) TestAFeatureAskedStaysAskedWhenItsRuleChanges(c *gc.C) {
	// Asked with no rule, then given one: the placeholder is dropped,
	// and the new rule has evaluated nothing, yet it was asked.
	s.writeFile(c, "agent", "y on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(wrench.Set("agent", "x", "off"), gc.IsNil)
	c.Assert(wrench.IsActive("agent", "y"), gc.Equals, true) // reloads
	r := waitRule(c, "agent", "x", func(r wrench.RuleStatus) bool { return true })
	c.Check(r.Evaluated, gc.Equals, uint64(0))
	c.Check(r.Asked, gc.Equals, true)
	st, err := wrench.Status("agent")
	c.Assert(err, gc.IsNil)
	c.Check(st.Categories[0].Unasked("x"), gc.Equals, false)
	c.Check(st.Categories[0].Unasked("z"), gc.Equals, true)

	// Its trigger changed: its counters start afresh, its asking stays.
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(wrench.Set("agent", "x", "on"), gc.IsNil)
	c.Assert(wrench.IsActive("agent", "y"), gc.Equals, true)
	r = waitRule(c, "agent", "x", func(r wrench.RuleStatus) bool { return r.Trigger == "on" })
	c.Check(r.Evaluated, gc.Equals, uint64(0))
	c.Check(r.Asked, gc.Equals, true)
	st, err = wrench.Status("agent")
	c.Assert(err, gc.IsNil)
	c.Check(st.Categories[0].Unasked("x"), gc.Equals, false)
}

// waitRule waits until this process's rule for feature of category is
// published in a state that ok accepts, and returns it.
func waitRule(c *gc.C, category, feature string, ok func(wrench.RuleStatus) bool) wrench.RuleStatus {
	deadline := time.Now().Add(failAfter)
	for {
		st, err := wrench.Status(category)
		c.Assert(err, gc.IsNil)
		for _, p := range st.Categories[0].Processes {
			for _, r := range p.Rules {
				if p.PID == os.Getpid() && r.Feature == feature && ok(r) {
					return r
				}
			}
		}
		if time.Now().After(deadline) {
			c.Fatalf("waited %v for %s:%s; last status %+v", failAfter, category, feature, st)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *liveSuite) TestFeaturesAskedWithoutARuleAreBounded(c *gc.C) {
	s.writeFile(c, "agent", "x on\n")
	for i := 0; i < 40; i++ {
		c.Assert(wrench.IsActive("agent", fmt.Sprintf("f%02d", i)), gc.Equals, false)
	}
	c.Assert(wrench.IsActive("agent", "f39"), gc.Equals, false)
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	for {
		st, err := wrench.Status("agent")
		c.Assert(err, gc.IsNil)
		if cs := st.Categories[0]; len(cs.Processes) == 1 && mine(c, cs).UnruledOthers == 9 {
			p := mine(c, cs)
			c.Check(p.Unruled, gc.HasLen, 32)
			c.Check(p.Unruled[0], gc.Equals, wrench.UnruledFeature{Feature: "f00", Calls: 1})
			c.Check(cs.Unasked("never"), gc.Equals, false, gc.Commentf("past the bound, nobody can tell"))
			break
		}
		select {
		case <-ctx.Done():
			c.Fatalf("never saw 32 features and 9 more calls: %+v", st)
		case <-time.After(5 * time.Millisecond):
		}
	}
	// Once one of them has a rule there is room again: a new feature
	// asked is named.
	s.writeFile(c, "agent", "x on\nf00 off\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(wrench.IsActive("agent", "late"), gc.Equals, false)
	for {
		st, err := wrench.Status("agent")
		c.Assert(err, gc.IsNil)
		if cs := st.Categories[0]; len(cs.Processes) == 1 && slices.Contains(unruledNames(mine(c, cs)), "late") {
			c.Check(mine(c, cs).Unruled, gc.HasLen, 32)
			return
		}
		select {
		case <-ctx.Done():
			c.Fatalf("a feature asked once there was room again is not named: %+v", st)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// unruledNames are the features p asked that have no rule.
func unruledNames(p wrench.ProcessStatus) []string {
	var names []string
	for _, u := range p.Unruled {
		names = append(names, u.Feature)
	}
	return names
}

func (s *liveSuite) TestDisablingAndMovingRemoveTheState(c *gc.C) {
	s.writeFile(c, "agent", "x on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(1))
	state := filepath.Join(s.dir, wrench.LiveDirName(), strconv.Itoa(os.Getpid()))
	_, err := os.Stat(state)
	c.Assert(err, gc.IsNil)

	wrench.SetEnabled(false)
	c.Check(wrench.Publishing(), gc.Equals, false)
	_, err = os.Stat(state)
	c.Check(os.IsNotExist(err), gc.Equals, true)
	st, err := wrench.Status("agent")
	c.Assert(err, gc.IsNil)
	c.Check(st.Categories[0].Processes, gc.HasLen, 0)

	// Enabled again, it publishes again what it reads.
	wrench.SetEnabled(true)
	c.Check(wrench.Publishing(), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(1))

	wrench.SetDataDir(tempDir(c))
	c.Check(wrench.Publishing(), gc.Equals, false)
	_, err = os.Stat(state)
	c.Check(os.IsNotExist(err), gc.Equals, true)
}

// forge writes a live state for this process in a data directory where it
// reads nothing (so its own publisher never overwrites it), serving
// version of category, in exact mode or not.
func (s *liveSuite) forge(c *gc.C, category, version string, exact bool) {
	p := live.Self()
	p.Seed = "1"
	p.Exact = exact
	p.Categories = []live.Category{{Name: category, Version: version}}
	data, err := live.Encode(&p)
	c.Assert(err, gc.IsNil)
	path := filepath.Join(s.dir, wrench.LiveDirName(), strconv.Itoa(p.PID))
	c.Assert(os.WriteFile(path+".new", data, 0o644), gc.IsNil)
	c.Assert(os.Chmod(path+".new", 0o644), gc.IsNil)
	c.Assert(renameOver(path+".new", path), gc.IsNil)
}

func (s *liveSuite) TestLoadedIsTheFileAsItIsNow(c *gc.C) {
	// No live process reads it: loaded at once.
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	_, err := wrench.WaitLoaded(ctx, "agent")
	c.Assert(err, gc.IsNil)

	c.Assert(wrench.Set("agent", "x", "on"), gc.IsNil)
	st, err := wrench.Status("agent")
	c.Assert(err, gc.IsNil)
	now := st.Categories[0].Version
	c.Assert(now, gc.Matches, "[0-9a-f]{64}")

	// A process serving an older version is not loaded; a timeout says so.
	s.forge(c, "agent", "old", false)
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	st, err = wrench.WaitLoaded(short, "agent")
	c.Check(errors.Is(err, context.DeadlineExceeded), gc.Equals, true, gc.Commentf("%v", err))
	c.Check(err, gc.ErrorMatches, "waiting for every live process reading it to serve the file as it is now in agent: context deadline exceeded")
	c.Assert(st.Categories[0].Processes, gc.HasLen, 1)
	c.Check(st.Categories[0].Processes[0].Loaded, gc.Equals, false)

	// One in exact mode serves the file as it is at its next call.
	s.forge(c, "agent", "old", true)
	_, err = wrench.WaitLoaded(ctx, "agent")
	c.Check(err, gc.IsNil)
	// One serving this version is loaded.
	s.forge(c, "agent", now, false)
	_, err = wrench.WaitLoaded(ctx, "agent")
	c.Check(err, gc.IsNil)
	// With no file, one serving none is loaded.
	c.Assert(wrench.Clear("agent"), gc.IsNil)
	_, err = wrench.WaitLoaded(short, "agent")
	c.Check(err, gc.NotNil)
	s.forge(c, "agent", "", false)
	_, err = wrench.WaitLoaded(ctx, "agent")
	c.Check(err, gc.IsNil)
}

func (s *liveSuite) TestWaitArguments(c *gc.C) {
	ctx := context.Background()
	_, err := wrench.Wait(ctx, "agent", "x", wrench.Condition{})
	c.Check(err, gc.ErrorMatches, "wrench.Wait: no condition: .*")
	_, err = wrench.Wait(ctx, "../agent", "x", wrench.WhenPaused(1))
	c.Check(err, gc.ErrorMatches, `.*invalid category name.*|.*category.*`)
	_, err = wrench.Wait(ctx, "agent", "a b", wrench.WhenFired(1))
	c.Check(err, gc.NotNil)
	_, err = wrench.Status("../x")
	c.Check(err, gc.NotNil)
	wrench.SetDataDir(filepath.Join(s.dataDir, "missing"))
	_, err = wrench.Status()
	c.Check(err, gc.ErrorMatches, ".*missing.*")
}

func (s *liveSuite) TestPublishingRacesNothing(c *gc.C) {
	// Many calls of several categories firing, pausing and asking for
	// features without rules, while the state is published and read:
	// the race detector's test.
	s.writeFile(c, "a", "x 50%on\ny 3*on->repeat\n")
	s.writeFile(c, "b", "x on\n")
	stop := askConcurrently(4, func() error {
		wrench.IsActive("a", "x")
		wrench.IsActive("a", "y")
		wrench.IsActive("a", "nope")
		wrench.IsActive("b", "x")
		return nil
	})
	defer stop()
	waitFor(c, "a", "y", wrench.WhenFired(100))
	waitFor(c, "b", "x", wrench.WhenFired(100))
	s.writeFile(c, "a", "x 50%on\ny 3*on->repeat\nz on\n")
	waitFor(c, "a", "y", wrench.WhenFired(200))
	c.Assert(stop(), gc.IsNil)
}

func (s *liveSuite) TestListCheckAndClearLeaveLiveStatesAlone(c *gc.C) {
	s.writeFile(c, "agent", "x on\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(1))
	files, err := wrench.List()
	c.Assert(err, gc.IsNil)
	c.Assert(files, gc.HasLen, 1)
	c.Check(files[0].Category, gc.Equals, "agent")
	report, err := wrench.Check()
	c.Assert(err, gc.IsNil)
	c.Check(report.OK(), gc.Equals, true, gc.Commentf("%+v", report))
	c.Check(report.Files, gc.HasLen, 1)
	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(wrench.Clear(wrench.LiveDirName()), gc.ErrorMatches, ".*")
	_, err = os.Stat(filepath.Join(s.dir, wrench.LiveDirName(), strconv.Itoa(os.Getpid())))
	c.Check(err, gc.IsNil, gc.Commentf("clear removed the live state"))
	// The file is gone: the process serves none, and says so.
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false)
	deadline := time.Now().Add(failAfter)
	for {
		st, err := wrench.Status("agent")
		c.Assert(err, gc.IsNil)
		if p := mine(c, st.Categories[0]); p.Version == "" {
			c.Check(p.Loaded, gc.Equals, true)
			c.Check(st.Categories[0].Version, gc.Equals, "")
			return
		}
		if time.Now().After(deadline) {
			c.Fatalf("the file's removal never showed: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *liveSuite) TestSetDataDirToTheSameDirectoryKeepsTheStateShown(c *gc.C) {
	s.writeFile(c, "agent", "x on\n")
	// Each SetDataDir stops one publisher as calls start the next: the
	// one stopping removes only the file it wrote.
	stop := askConcurrently(2, func() error {
		wrench.IsActive("agent", "x")
		return nil
	})
	defer stop()
	for i := 0; i < 20; i++ {
		wrench.SetDataDir(s.dataDir)
	}
	c.Assert(stop(), gc.IsNil)
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	cs := waitFor(c, "agent", "x", wrench.WhenFired(1))
	c.Check(mine(c, cs).PID, gc.Equals, os.Getpid())
	// And it stays: no late removal by a stopped publisher.
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	waitFor(c, "agent", "x", wrench.WhenFired(2))
}

// watchedSuite proves what watched mode adds: changes seen without Sync,
// this process's own writes seen by its next call, paused calls woken by
// the event, and the fallback to exact mode where no watch can be placed.
type watchedSuite struct{ baseSuite }

var _ = gc.Suite(&watchedSuite{baseSuite{exact: false}})

func (s *watchedSuite) SetUpTest(c *gc.C) {
	s.baseSuite.SetUpTest(c)
	s.addRestore(wrench.SetDeafWatchers(false)) // these tests are of what it hears
	// No look at everything comes during a test: what is seen without
	// Sync, the events alone made visible. A test of what only that look
	// can find sets the real interval back before its first call.
	s.addRestore(wrench.SetRescanInterval(time.Hour))
}

// eventually waits until IsActive(category, feature) says want, without
// Sync: the watcher must tell. It returns how long that took.
func eventually(c *gc.C, category, feature string, want bool) time.Duration {
	start := time.Now()
	deadline := start.Add(failAfter)
	for wrench.IsActive(category, feature) != want {
		if time.Now().After(deadline) {
			c.Fatalf("IsActive(%q, %q) is still %v after %v", category, feature, !want, failAfter)
		}
		time.Sleep(100 * time.Microsecond)
	}
	return time.Since(start)
}

func (s *watchedSuite) TestChangesAreSeenWithoutSync(c *gc.C) {
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.Watching(), gc.Equals, true)
	path := filepath.Join(s.dir, "agent")
	tmp := filepath.Join(s.dir, wrench.TempName("agent"))
	c.Assert(os.WriteFile(tmp, []byte("x\n"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(tmp, 0o644), gc.IsNil)
	c.Assert(renameOver(tmp, path), gc.IsNil)
	eventually(c, "agent", "x", true)
	if runtime.GOOS != "windows" { // where trust is in ACLs, not modes
		c.Assert(os.Chmod(path, 0o666), gc.IsNil)
		eventually(c, "agent", "x", false)
		c.Assert(os.Chmod(path, 0o644), gc.IsNil)
		eventually(c, "agent", "x", true)
	}
	c.Assert(os.Remove(path), gc.IsNil)
	eventually(c, "agent", "x", false)
}

func (s *watchedSuite) TestTheDirectoryChangingIsSeenWithoutSync(c *gc.C) {
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	if runtime.GOOS != "windows" { // where trust is in ACLs, not modes
		c.Assert(os.Chmod(s.dir, 0o777), gc.IsNil)
		eventually(c, "agent", "x", false)
		c.Assert(os.Chmod(s.dir, 0o755), gc.IsNil)
		eventually(c, "agent", "x", true)
	}
	c.Assert(os.Rename(s.dir, s.dir+".away"), gc.IsNil)
	eventually(c, "agent", "x", false)
	c.Assert(os.Rename(s.dir+".away", s.dir), gc.IsNil)
	eventually(c, "agent", "x", true)
}

func (s *watchedSuite) TestOwnWritesAreSeenByTheNextCall(c *gc.C) {
	// The watcher hears nothing: only the writers' own verification can
	// make their writes visible.
	s.addRestore(wrench.SetDeafWatchers(true))
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(wrench.Unset("agent", "x"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Assert(wrench.Apply("agent", []byte("y\n")), gc.IsNil)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, true)
	c.Assert(wrench.Clear("agent"), gc.IsNil)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, false)
	c.Assert(wrench.Apply("agent", []byte("y\n")), gc.IsNil)
	c.Assert(wrench.Clear(), gc.IsNil)
	c.Check(wrench.IsActive("agent", "y"), gc.Equals, false)
	// A change made by other means waits for Sync.
	s.writeFile(c, "agent", "z\n") // settles
	c.Check(wrench.IsActive("agent", "z"), gc.Equals, true)
	c.Assert(os.Remove(filepath.Join(s.dir, "agent")), gc.IsNil)
	c.Check(wrench.IsActive("agent", "z"), gc.Equals, true)
	wrench.Sync()
	c.Check(wrench.IsActive("agent", "z"), gc.Equals, false)
}

func (s *watchedSuite) TestPausedCallsWakeOnTheEvent(c *gc.C) {
	// Paused calls never look by themselves here: only the event, heard
	// without Sync, can wake them.
	s.addRestore(wrench.SetPollInterval(time.Hour))
	s.writeFile(c, "agent", "held pause\n")
	answers := make(chan bool, 2)
	for range 2 {
		go func() { answers <- wrench.IsActive("agent", "held") }()
	}
	s.waitFirings(c, "agent:held: pause fired", 2)
	nothingReturned(c, answers)
	path := filepath.Join(s.dir, "agent")
	tmp := filepath.Join(s.dir, wrench.TempName("agent"))
	c.Assert(os.WriteFile(tmp, []byte("held on\n"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(tmp, 0o644), gc.IsNil)
	c.Assert(renameOver(tmp, path), gc.IsNil)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, true)
	c.Check(receive(c, answers, "a paused call"), gc.Equals, true)
}

func (s *watchedSuite) TestPausedCallsWakeOnSetDataDirAndExactMode(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Hour))
	s.writeFile(c, "agent", "held pause\n")
	answers := make(chan bool, 1)
	go func() { answers <- wrench.IsActive("agent", "held") }()
	s.waitFirings(c, "agent:held: pause fired", 1)
	// Another data directory: the call is evaluated afresh there, where
	// there is no file.
	wrench.SetDataDir(tempDir(c))
	c.Check(receive(c, answers, "a paused call"), gc.Equals, false)

	wrench.SetDataDir(s.dataDir)
	go func() { answers <- wrench.IsActive("agent", "held") }()
	s.waitFirings(c, "agent:held: pause fired", 2)
	// Exact mode stops the watcher: the call goes back to looking by
	// itself, and sees the change.
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	wrench.SetExact(true)
	s.writeFile(c, "agent", "held on\n")
	c.Check(receive(c, answers, "a paused call"), gc.Equals, true)
}

func (s *watchedSuite) TestOnlyCategoriesAskedAreLoaded(c *gc.C) {
	// A refused file no call asks for is never read, so never logged;
	// one asked is.
	c.Assert(os.Mkdir(filepath.Join(s.dir, "other"), 0o755), gc.IsNil)
	s.writeFile(c, "agent", "x\n")
	wrench.Sync()
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	wrench.Sync()
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	c.Check(wrench.IsActive("other", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, "other"), gc.HasLen, 1)
}

func (s *watchedSuite) TestTheWatcherDoesNotMarkCategoriesRead(c *gc.C) {
	// Asked while it had no file: the watcher loads the file when it
	// comes, but only a call that finds it makes the category read.
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	s.writeFile(c, "agent", "x\n")
	c.Check(wrench.IsRead("agent"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Check(wrench.IsRead("agent"), gc.Equals, true)
}

func (s *watchedSuite) TestAWatcherThatCannotStartFallsBackToExactMode(c *gc.C) {
	s.addRestore(wrench.SetWatchFailure(errors.New("too many open files")))
	wrench.SetDataDir(s.dataDir) // a fresh state, whose first call tries to watch
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(wrench.Watching(), gc.Equals, false)
	c.Check(wrench.ExactMode(), gc.Equals, true)
	c.Check(wrench.IsExact(), gc.Equals, false)
	warned := s.logged(loggo.WARNING, "too many open files")
	c.Assert(warned, gc.HasLen, 1)
	c.Check(warned[0], gc.Equals, "cannot watch "+s.dir+" (too many open files): every IsActive call looks at the disk itself, as with WRENCH_EXACT=1")
	// Every call sees the disk, without Sync.
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.WriteFile(path, []byte("x\n"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(path, 0o644), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, true)
	c.Assert(os.Remove(path), gc.IsNil)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
	c.Check(s.logged(loggo.WARNING, "cannot watch"), gc.HasLen, 1)
}

func (s *watchedSuite) TestSwitchingModes(c *gc.C) {
	s.writeFile(c, "agent", "x 2*on\n")
	c.Check(sequence("agent", "x", 1), gc.Equals, "T")
	c.Check(wrench.Watching(), gc.Equals, true)
	c.Check(wrench.SetExact(true), gc.Equals, false)
	c.Check(wrench.Watching(), gc.Equals, false)
	// Counts carry over the switch both ways.
	c.Check(sequence("agent", "x", 1), gc.Equals, "T")
	c.Check(wrench.SetExact(false), gc.Equals, true)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Check(wrench.Watching(), gc.Equals, true)
	// Disabling stops the watcher; the next enabled call starts one.
	wrench.SetEnabled(false)
	c.Check(wrench.Watching(), gc.Equals, false)
	wrench.SetEnabled(true)
	c.Check(wrench.Watching(), gc.Equals, false)
	c.Check(sequence("agent", "x", 1), gc.Equals, "F")
	c.Check(wrench.Watching(), gc.Equals, true)
}

// In watched mode the live state shows the version of the file the
// process serves, so WaitLoaded waits for this process to see a change
// made behind its back, and no longer.
func (s *liveSuite) TestWaitLoadedWaitsForTheWatcher(c *gc.C) {
	if s.exact {
		c.Skip("an exact-mode process serves the file as it is at each call: it is always loaded")
	}
	s.addRestore(wrench.SetDeafWatchers(true)) // only Sync shows it the change
	s.writeFile(c, "agent", "x\n")
	c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
	old := mine(c, waitFor(c, "agent", "x", wrench.WhenFired(1))).Version

	path := filepath.Join(s.dir, "agent")
	tmp := filepath.Join(s.dir, wrench.TempName("agent"))
	c.Assert(os.WriteFile(tmp, []byte("y\n"), 0o644), gc.IsNil)
	c.Assert(os.Chmod(tmp, 0o644), gc.IsNil)
	c.Assert(renameOver(tmp, path), gc.IsNil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st, err := wrench.WaitLoaded(ctx, "agent")
	c.Assert(err, gc.NotNil, gc.Commentf("loaded before this process could have seen the change: %+v", st))
	c.Check(mine(c, *st.Category("agent")).Version, gc.Equals, old)
	c.Check(mine(c, *st.Category("agent")).Loaded, gc.Equals, false)

	wrench.Sync()
	c.Assert(wrench.IsActive("agent", "y"), gc.Equals, true)
	ctx, cancel = context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	st, err = wrench.WaitLoaded(ctx, "agent")
	c.Assert(err, gc.IsNil)
	p := mine(c, *st.Category("agent"))
	c.Check(p.Version, gc.Not(gc.Equals), old)
	c.Check(p.Version, gc.Equals, st.Category("agent").Version)
}

// A call adding the placeholder of a feature without a rule, racing the
// look that finds the file gone, must never bring the gone file's rules
// back: after Sync, a removed file is obeyed by no call.
func (s *watchedSuite) TestAFeatureAskedNeverBringsARemovedFileBack(c *gc.C) {
	s.addRestore(wrench.SetDeafWatchers(true)) // only Sync sees the removal
	path := filepath.Join(s.dir, "agent")
	for round := 0; round < 1000; round++ {
		s.writeFile(c, "agent", "x\n")
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, true)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for j := 0; j < 15; j++ {
					wrench.IsActive("agent", fmt.Sprintf("unruled-%d-%d-%d", round, g, j))
				}
			}()
		}
		close(start)
		c.Assert(os.Remove(path), gc.IsNil)
		wrench.Sync()
		wg.Wait()
		c.Assert(wrench.IsActive("agent", "x"), gc.Equals, false, gc.Commentf("round %d: the removed file is obeyed", round))
	}
}

// Categories first asked at once by many goroutines are each read before
// their first call answers: none is answered from a view that holds it
// before its file was looked at.
func (s *watchedSuite) TestCategoriesFirstAskedAtOnceAreReadFirst(c *gc.C) {
	s.addRestore(wrench.SetDeafWatchers(true)) // only the first ask can read the files
	const n = 16
	for i := 0; i < n; i++ {
		s.writeFile(c, fmt.Sprint("c", i), "x\n")
	}
	for round := 0; round < 100; round++ {
		wrench.SetDataDir(s.dataDir)
		wrench.IsActive("prime", "x") // starts the watcher
		var wrong atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if !wrench.IsActive(fmt.Sprint("c", i), "x") {
					wrong.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		c.Assert(wrong.Load(), gc.Equals, int32(0), gc.Commentf("round %d: first calls answered before their file was read", round))
	}
}
