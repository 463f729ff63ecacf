package wrench_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/testdir"

	"github.com/go-wrench/wrench"
)

func Test(t *testing.T) { gc.TestingT(t) }

// baseSuite gives each test a fresh data directory with a trusted wrench
// directory in it, wrench enabled, and the wrench logger's entries captured.
type baseSuite struct {
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
	s.restores = nil
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

// writeFile writes a category file with mode 0644 whatever the umask, by
// renaming a new file over the old, as the command does.
func (s *baseSuite) writeFile(c *gc.C, category, content string) string {
	path := filepath.Join(s.dir, category)
	tmp := path + ".tmp"
	c.Assert(os.WriteFile(tmp, []byte(content), 0o644), gc.IsNil)
	c.Assert(os.Chmod(tmp, 0o644), gc.IsNil)
	c.Assert(renameOver(tmp, path), gc.IsNil)
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
