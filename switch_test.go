package wrench_test

import (
	"os"
	"path/filepath"
	"runtime"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

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

var _ = gc.Suite(&switchSuite{})

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
	c.Assert(os.WriteFile(filepath.Join(other, "wrench", "agent"), []byte("second\n"), 0o644), gc.IsNil)

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
