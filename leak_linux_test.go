package wrench_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
	"golang.org/x/sys/unix"
)

// leakSuite drives IsActive hard across every state and checks nothing is
// left behind: no descriptor, no goroutine, no panic.
type leakSuite struct{ baseSuite }

var _ = gc.Suite(&leakSuite{})

func openDescriptors(c *gc.C) int {
	// Files other tests dropped without closing are closed by finalizers;
	// run them first so only this test's descriptors are counted.
	runtime.GC()
	runtime.GC()
	entries, err := os.ReadDir("/proc/self/fd")
	c.Assert(err, gc.IsNil)
	return len(entries)
}

func (s *leakSuite) TestNoLeakAcrossEveryState(c *gc.C) {
	s.writeFile(c, "hit", "x\n")
	s.writeFile(c, "miss", "y\n")
	c.Assert(os.Chmod(s.writeFile(c, "refused", "x\n"), 0o666), gc.IsNil)
	c.Assert(unix.Mkfifo(filepath.Join(s.dir, "fifo"), 0o644), gc.IsNil)
	c.Assert(os.Mkdir(filepath.Join(s.dir, "directory"), 0o755), gc.IsNil)
	c.Assert(os.Symlink(filepath.Join(s.dir, "hit"), filepath.Join(s.dir, "symlink")), gc.IsNil)
	s.writeFile(c, "counted", "x 2*on->1*off->repeat\ny 50%on\n")
	categories := []string{"hit", "miss", "refused", "fifo", "directory", "symlink", "absent", "counted", "../bad", "changing"}
	want := map[string]bool{"hit": true}

	round := func(i int) {
		for _, cat := range categories {
			got := wrench.IsActive(cat, "x")
			if w, fixed := want[cat]; fixed || cat != "counted" && cat != "changing" {
				c.Assert(got, gc.Equals, w, gc.Commentf("category %q", cat))
			}
			wrench.IsActive(cat, "y")
		}
		// A file that changes state as the calls go: trusted, refused,
		// absent, trusted with other rules.
		switch i % 400 {
		case 0:
			s.writeFile(c, "changing", "x\n")
		case 100:
			c.Assert(os.Chmod(filepath.Join(s.dir, "changing"), 0o664), gc.IsNil)
		case 200:
			c.Assert(os.Remove(filepath.Join(s.dir, "changing")), gc.IsNil)
		case 300:
			s.writeFile(c, "changing", "y 1*on\n")
		}
	}
	round(0) // every cache and directory descriptor is made
	fds, goroutines := openDescriptors(c), runtime.NumGoroutine()
	calls := 0
	for i := 1; calls < 100000; i++ {
		round(i)
		calls += 2 * len(categories)
	}
	c.Check(openDescriptors(c), gc.Equals, fds)
	c.Check(runtime.NumGoroutine(), gc.Equals, goroutines)
	// SetDataDir releases the directory descriptor it kept.
	wrench.SetDataDir(s.dataDir)
	c.Check(openDescriptors(c), gc.Equals, fds-1)
}

func (s *leakSuite) TestReadersWhileAWriterRenames(c *gc.C) {
	// Run with -race: readers ask while a writer replaces the file and the
	// directory's mode flips; every answer is one the disk has held.
	s.writeFile(c, "agent", "x\n")
	stop := askConcurrently(4, func() error {
		if wrench.IsActive("agent", "never") {
			return fmt.Errorf("a feature no file names was active")
		}
		wrench.IsActive("agent", "x")
		wrench.IsActive("agent", "y")
		return nil
	})
	deadline := time.Now().Add(time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		content := "x\n"
		if i%2 == 1 {
			content = "y 2*on->off->repeat\n"
		}
		s.writeFile(c, "agent", content)
		if i%10 == 0 {
			os.Chmod(s.dir, 0o775)
			os.Chmod(s.dir, 0o755)
		}
		if i%25 == 0 {
			s.replaceDirectory(c, content)
		}
	}
	s.writeFile(c, "agent", "final\n")
	c.Check(stop(), gc.IsNil)
	c.Check(wrench.IsActive("agent", "final"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)
}

// replaceDirectory puts a new wrench directory, holding agent with
// content, in the old one's place, so the kept directory descriptor is
// replaced while readers use it.
func (s *leakSuite) replaceDirectory(c *gc.C, content string) {
	next := s.dir + ".next"
	c.Assert(os.Mkdir(next, 0o755), gc.IsNil)
	c.Assert(os.Chmod(next, 0o755), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(next, "agent"), []byte(content), 0o644), gc.IsNil)
	c.Assert(os.Chmod(filepath.Join(next, "agent"), 0o644), gc.IsNil)
	c.Assert(os.Rename(s.dir, s.dir+".old"), gc.IsNil)
	c.Assert(os.Rename(next, s.dir), gc.IsNil)
	c.Assert(os.RemoveAll(s.dir+".old"), gc.IsNil)
}
