package rules

import (
	"strings"

	gc "gopkg.in/check.v1"
)

// badCategories are names that must never be read as categories.
var badCategories = []string{
	"", ".", "..", ".hidden", "../escape", "a/b", "a\\b", "/etc/passwd",
	"has space", "tab\there", "nul\x00", "ünïcode", "semi;colon", "star*",
	strings.Repeat("x", 65),
}

func (*syntaxSuite) TestCategoryNames(c *gc.C) {
	for _, name := range []string{"a", "machine-agent", "A.b_c-9", strings.Repeat("x", 64)} {
		c.Check(CheckCategory(name), gc.IsNil, gc.Commentf("%q", name))
	}
	for _, name := range badCategories {
		c.Check(CheckCategory(name), gc.NotNil, gc.Commentf("%q", name))
	}
}

func (*syntaxSuite) TestCategoryErrorNamesTheCharacter(c *gc.C) {
	c.Check(CheckCategory("café"), gc.ErrorMatches, `category name "café" has "é", outside A-Z a-z 0-9 . _ -`)
	c.Check(CheckCategory("a\xffb"), gc.ErrorMatches, `category name "a\\xffb" has "\\xff", outside .*`)
	c.Check(CheckCategory("x\u202e"), gc.ErrorMatches, `category name "x\\u202e" has "\\u202e", outside .*`)
}

func (*syntaxSuite) TestFeatureNames(c *gc.C) {
	rules, problems := parseFileParts("f", "ok.name_1-2\nünïcode\n#x\n")
	c.Check(problems, gc.HasLen, 0)
	c.Assert(rules, gc.HasLen, 2)
	c.Check(rules[0].Feature, gc.Equals, "ok.name_1-2")
	c.Check(rules[0].Trigger, gc.Equals, "on")
	c.Check(rules[0].Line, gc.Equals, 1)
	c.Check(rules[1].Feature, gc.Equals, "ünïcode")
}
