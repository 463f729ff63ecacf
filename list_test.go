package wrench_test

import (
	"path/filepath"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// listSuite tests List and the errors List and Check share with the
// writers.
type listSuite struct {
	baseSuite
}

var _ = gc.Suite(&listSuite{})

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
