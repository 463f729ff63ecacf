package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/live"
)

// The command's live-state side, against states written by hand for this
// test process (which is alive, and reads nothing in the test's data
// directory, so no publisher of its own overwrites them). Real agents
// are e2e's.

// forge writes the live state of this process, reading cats.
func (s *cmdSuite) forge(c *gc.C, exact bool, cats ...live.Category) {
	p := live.Self()
	p.Seed = "42"
	p.Exact = exact
	p.Published = time.Date(2026, 12, 2, 3, 17, 0, 0, time.UTC)
	p.Categories = cats
	data, err := live.Encode(&p)
	c.Assert(err, gc.IsNil)
	dir := filepath.Join(s.dir, live.DirName())
	c.Assert(os.MkdirAll(dir, 0o755), gc.IsNil)
	c.Assert(os.Chmod(dir, 0o755), gc.IsNil)
	path := filepath.Join(dir, strconv.Itoa(p.PID))
	c.Assert(os.WriteFile(path+".new", data, 0o644), gc.IsNil)
	c.Assert(os.Chmod(path+".new", 0o644), gc.IsNil)
	c.Assert(os.Rename(path+".new", path), gc.IsNil)
}

func (s *cmdSuite) version(c *gc.C, category string) string {
	r := s.run(c, "", "status", "--json", category)
	ok(c, r)
	var st struct {
		Categories []struct {
			Version string `json:"version"`
		} `json:"categories"`
	}
	c.Assert(json.Unmarshal([]byte(r.stdout), &st), gc.IsNil)
	return st.Categories[0].Version
}

func (s *cmdSuite) TestStatusWithNoLiveProcess(c *gc.C) {
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	r := s.run(c, "", "status")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, "no live process reads any category\n")
	r = s.run(c, "", "status", "agent")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, "agent: no file; no live process reads it\n")
	r = s.run(c, "", "status", "--json", "agent")
	ok(c, r)
	c.Check(r.stdout, gc.Equals, `{
  "categories": [
    {
      "category": "agent",
      "version": "",
      "refused": "",
      "processes": []
    }
  ],
  "ignored": []
}
`)
	failed(c, s.run(c, "", "status", "../x"), 1, `wrench: status: .*`)
	failed(c, s.run(c, "", "--datadir", filepath.Join(s.dataDir, "nope"), "status"), 1, `wrench: status: .*nope.*`)
	failed(c, s.run(c, "", "status", "--bogus"), 2, `wrench: status: flag provided but not defined: --bogus .*`)
}

func (s *cmdSuite) TestStatusShowsEachProcessAndRule(c *gc.C) {
	ok(c, s.run(c, "", "set", "agent", "hook", "2*off->pause"))
	now := s.version(c, "agent")
	s.forge(c, false, live.Category{
		Name:    "agent",
		Version: now,
		Rules: []live.Rule{{
			Feature: "hook", Trigger: "2*off->pause", Line: 1, Evaluated: 7, Fired: 7,
			Remaining: []int{0, -1}, Paused: 5, LastFired: time.Date(2026, 12, 2, 3, 18, 0, 500, time.UTC),
		}},
		Unruled: []live.Unruled{{Feature: "refuse-upgrade", Calls: 1}, {Feature: "bell\a", Calls: 2}},
	})
	r := s.run(c, "", "status")
	ok(c, r)
	pid := strconv.Itoa(os.Getpid())
	who := "uid " + strconv.Itoa(os.Geteuid())
	if runtime.GOOS == "windows" {
		who = `user S-[0-9-]+`
	}
	c.Check(r.stdout, gc.Matches, `agent: file `+now[:12]+` \(served by 1 of 1 process\)
  pid `+pid+` \S+, `+who+`, started \S+, seed 42: serves `+now[:12]+`, the file as it is now
    FEATURE +TRIGGER +LINE +EVALUATED +FIRED +REMAINING +PAUSED +SLEEPING +LAST FIRED
    hook +2\*off->pause +1 +7 +7 +0,- +5 +0 +2026-12-02T03:18:00.0000005Z
    asked without a rule: refuse-upgrade \(1 call\)
    asked without a rule: "bell\\a" \(2 calls\)
`)
	r = s.run(c, "", "status", "--json")
	ok(c, r)
	var st map[string][]map[string]any
	c.Assert(json.Unmarshal([]byte(r.stdout), &st), gc.IsNil)
	p := st["categories"][0]["processes"].([]any)[0].(map[string]any)
	c.Check(p["seed"], gc.Equals, "42")
	c.Check(p["loaded"], gc.Equals, true)
	c.Check(p["exact"], gc.Equals, false)
	c.Check(p["published"], gc.Equals, "2026-12-02T03:17:00Z")
	rule := p["rules"].([]any)[0].(map[string]any)
	c.Check(rule["remaining"], gc.DeepEquals, []any{0.0, -1.0})
	c.Check(rule["paused"], gc.Equals, 5.0)

	// wait --paused and --fired read it; a condition not met times out
	// and prints the last state.
	ok(c, s.run(c, "", "wait", "agent", "hook", "--paused", "5"))
	ok(c, s.run(c, "", "wait", "--fired=7", "agent", "hook"))
	r = s.run(c, "", "wait", "agent", "hook", "--paused", "6", "--timeout", "100ms")
	c.Check(r.code, gc.Equals, 1)
	oneLine(c, r.stderr, `wrench: wait: timed out after 100ms waiting for 6 paused calls in agent:hook`)
	c.Check(r.stdout, gc.Matches, `(?s)agent: file .*hook +2\*off->pause +1 +7 +7 +0,- +5 .*`)

	// A write the process has not loaded yet: --wait times out, the
	// write stands.
	r = s.run(c, "", "set", "agent", "hook", "pause", "--wait=100ms")
	c.Check(r.code, gc.Equals, 1)
	oneLine(c, r.stderr, `wrench: set: written, but after 100ms 1 process reading agent does not serve it yet \(pid `+pid+`\): the write stands`)
	c.Check(r.stdout, gc.Matches, `(?s)agent: file \S+ \(served by 0 of 1 process\).*not the file as it is now.*`)
	c.Check(s.content(c, "agent"), gc.Equals, "hook pause\n")
	// Once it serves it (or checks the disk on every call), --wait is met.
	s.forge(c, false, live.Category{Name: "agent", Version: s.version(c, "agent"), Rules: []live.Rule{{Feature: "hook", Evaluated: 1}}})
	ok(c, s.run(c, "", "set", "--wait", "agent", "hook", "pause"))
	ok(c, s.run(c, "", "wait", "agent", "--loaded"))
	s.forge(c, true, live.Category{Name: "agent", Version: "old"})
	ok(c, s.run(c, "", "release", "agent", "hook", "--wait=1m"))
	ok(c, s.run(c, "", "unset", "agent", "hook", "--wait"))
	ok(c, s.run(c, "x\n", "apply", "agent", "--wait"))
	ok(c, s.run(c, "", "clear", "--wait"))
}

func (s *cmdSuite) TestSetWarnsOfAFeatureNoLiveProcessAsked(c *gc.C) {
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	// Nobody reads the category: nothing to say.
	ok(c, s.run(c, "", "set", "agent", "refuse-upgrad"))
	s.forge(c, true, live.Category{
		Name:    "agent",
		Rules:   []live.Rule{{Feature: "refuse-upgrad", Trigger: "on", Line: 1, Remaining: []int{-1}}},
		Unruled: []live.Unruled{{Feature: "refuse-upgrade", Calls: 3}},
	})
	r := s.run(c, "", "set", "agent", "refuse-upgrad", "1*on")
	c.Check(r.code, gc.Equals, 0)
	c.Check(r.stdout, gc.Equals, "")
	oneLine(c, r.stderr, `wrench: set: warning: no live process reading agent has asked for refuse-upgrad \(they ask for refuse-upgrade\)`)
	c.Check(s.content(c, "agent"), gc.Equals, "refuse-upgrad 1*on\n")
	// A set that fails says only why: no warning before the failure.
	r = s.run(c, "", "set", "agent", "refuse-upgrad", "on->repeat")
	c.Check(r.code, gc.Equals, 1)
	oneLine(c, r.stderr, `wrench: set: .*repeat.*`)
	c.Check(s.content(c, "agent"), gc.Equals, "refuse-upgrad 1*on\n")
	// The feature it asks: no warning.
	ok(c, s.run(c, "", "set", "agent", "refuse-upgrade"))
	// Past the bound of features named one by one, nobody can tell.
	s.forge(c, true, live.Category{Name: "agent", UnruledOthers: 1})
	ok(c, s.run(c, "", "set", "agent", "anything"))
}

func (s *cmdSuite) TestWaitUsage(c *gc.C) {
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	for _, t := range []struct {
		args    []string
		pattern string
	}{
		{[]string{"wait", "agent", "x"}, `wrench: wait: want one of --paused N, --fired N or --loaded .*`},
		{[]string{"wait", "agent", "x", "--paused", "1", "--fired", "1"}, `wrench: wait: invalid value "1" for flag --fired: --paused and --fired cannot both be given .*`},
		{[]string{"wait", "agent", "x", "--paused", "x"}, `wrench: wait: invalid value "x" for flag --paused: not a number .*`},
		{[]string{"wait", "agent", "x", "--fired", "-1"}, `wrench: wait: invalid value "-1" for flag --fired: is negative .*`},
		{[]string{"wait", "agent", "--paused", "1"}, `wrench: wait: want CATEGORY FEATURE with --paused .*`},
		{[]string{"wait", "agent", "x", "--loaded", "--timeout", "0s"}, `wrench: wait: --timeout 0s is not a positive duration .*`},
		{[]string{"wait"}, `wrench: wait: want CATEGORY FEATURE \(--paused N \| --fired N \| --loaded\) \[--timeout D\], got none .*`},
		{[]string{"set", "agent", "x", "--wait=0s"}, `wrench: set: invalid boolean value "0s" for --wait: not a positive duration \(such as 30s\) .*`},
	} {
		failed(c, s.run(c, "", t.args...), 2, t.pattern)
	}
	// With no live process reading the category, loaded holds at once,
	// and the others time out saying so.
	ok(c, s.run(c, "", "wait", "agent", "--loaded"))
	r := s.run(c, "", "wait", "agent", "x", "--fired", "1", "--timeout", "50ms")
	c.Check(r.code, gc.Equals, 1)
	c.Check(r.stdout, gc.Equals, "no live process reads agent\n")
	r = s.run(c, "", "help", "wait")
	ok(c, r)
	c.Check(r.stdout, gc.Matches, `(?s)Usage: wrench \[--datadir DIR\] wait CATEGORY FEATURE .*--timeout D .*`)
}
