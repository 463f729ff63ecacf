package rules

import (
	gc "gopkg.in/check.v1"
)

// editSuite tests the text edits Set and Unset make.
type editSuite struct{}

var _ = gc.Suite(&editSuite{})

func (*editSuite) TestSetRuleText(c *gc.C) {
	for i, t := range []struct {
		about, before, feature, trigger, after string
	}{{
		about:   "a new feature goes at the end",
		before:  "# rules\na\n",
		feature: "b", trigger: "2*on",
		after: "# rules\na\nb 2*on\n",
	}, {
		about:   "an empty file",
		before:  "",
		feature: "b", trigger: "on",
		after: "b on\n",
	}, {
		about:   "no trigger writes a bare feature",
		before:  "",
		feature: "b",
		after:   "b\n",
	}, {
		about:   "a last line without a newline gets one first",
		before:  "a",
		feature: "b", trigger: "off",
		after: "a\nb off\n",
	}, {
		about:   "the trigger is replaced in place, keeping spacing and comment",
		before:  "x\nfail-lease   30%on   # flaky lease\ny\n",
		feature: "fail-lease", trigger: "50%on",
		after: "x\nfail-lease   50%on   # flaky lease\ny\n",
	}, {
		about:   "a bare feature gets its trigger before the comment",
		before:  "refuse-upgrade\t# always\n",
		feature: "refuse-upgrade", trigger: "off",
		after: "refuse-upgrade off\t# always\n",
	}, {
		about:   "no trigger makes the line bare, keeping the comment",
		before:  "  a 3*on # three\n",
		feature: "a",
		after:   "  a # three\n",
	}, {
		about:   "trailing comments and odd lines elsewhere are kept as written",
		before:  "p pause   # held\r\nq\tsleep(2s)#not a comment\na on\nbad on#x  # typo\n",
		feature: "a", trigger: "off",
		after: "p pause   # held\r\nq\tsleep(2s)#not a comment\na off\nbad on#x  # typo\n",
	}, {
		about:   "a line of the feature that does not parse is replaced",
		before:  "a on#x # typo\nb\n",
		feature: "a", trigger: "on",
		after: "a on # typo\nb\n",
	}, {
		about:   "extra fields of a bad line go, its comment stays",
		before:  "a on extra # note\n",
		feature: "a", trigger: "off",
		after: "a off # note\n",
	}, {
		about:   "later lines of the feature are dropped",
		before:  "a on\nb\na off # dead\nc\n",
		feature: "a", trigger: "pause",
		after: "a pause\nb\nc\n",
	}, {
		about:   "CRLF files get CRLF lines",
		before:  "a\r\nb\r\n",
		feature: "c", trigger: "on",
		after: "a\r\nb\r\nc on\r\n",
	}, {
		about:   "a CRLF line keeps its ending when replaced",
		before:  "a on\r\n",
		feature: "a", trigger: "off",
		after: "a off\r\n",
	}, {
		about:   "a comment that is not valid UTF-8 is dropped, or the line would be skipped",
		before:  "x # ok\na on # caf\xe9\nb\n",
		feature: "a", trigger: "off",
		after: "x # ok\na off\nb\n",
	}, {
		about:   "a last line ending in a lone CR is the feature's line, CR kept",
		before:  "x\nfeat\r",
		feature: "feat", trigger: "off",
		after: "x\nfeat off\r",
	}, {
		about:   "a new line after a last line ending in a lone CR starts a line of its own",
		before:  "x\r",
		feature: "y", trigger: "on",
		after: "x\r\ny on\n",
	}, {
		about:   "a byte-order mark stays first, and the first line is the feature's",
		before:  "\ufeffa off # first\nb\n",
		feature: "a", trigger: "on",
		after: "\ufeffa on # first\nb\n",
	}, {
		about:   "a byte-order mark alone stays first",
		before:  "\ufeff",
		feature: "a", trigger: "on",
		after: "\ufeffa on\n",
	}, {
		about:   "a comment naming the feature is not its line",
		before:  "# a on\n",
		feature: "a", trigger: "off",
		after: "# a on\na off\n",
	}, {
		about:   "a feature that is a prefix of another is its own",
		before:  "ab on\n",
		feature: "a", trigger: "off",
		after: "ab on\na off\n",
	}} {
		c.Logf("test %d: %s", i, t.about)
		c.Check(string(SetRule([]byte(t.before), t.feature, t.trigger)), gc.Equals, t.after)
	}
}

func (*editSuite) TestUnsetRuleText(c *gc.C) {
	for i, t := range []struct {
		about, before, feature, after string
		found                         bool
	}{{
		about:   "the feature's lines go, the rest stays",
		before:  "# rules\na on # x\nb  sleep(1s) # y\na off\n\nc\n",
		feature: "a", after: "# rules\nb  sleep(1s) # y\n\nc\n", found: true,
	}, {
		about:  "a feature that is not there changes nothing",
		before: "b\n# a\n", feature: "a", after: "b\n# a\n",
	}, {
		about:  "a bad line of the feature goes too",
		before: "a on#x\nb\n", feature: "a", after: "b\n", found: true,
	}, {
		about:  "a last line without a newline",
		before: "b\na", feature: "a", after: "b\n", found: true,
	}, {
		about:  "a last line ending in a lone CR",
		before: "b\nfeat\r", feature: "feat", after: "b\n", found: true,
	}, {
		about:  "a first line after a byte-order mark, which stays",
		before: "\ufeffa\nb\n", feature: "a", after: "\ufeffb\n", found: true,
	}, {
		about:  "a mark starting a later line does not become the file's",
		before: "a\r\n\ufeffb\n", feature: "a", after: "\r\n\ufeffb\n", found: true,
	}} {
		c.Logf("test %d: %s", i, t.about)
		out, found := UnsetRule([]byte(t.before), t.feature)
		after := string(out)
		c.Check(after, gc.Equals, t.after)
		c.Check(found, gc.Equals, t.found)
	}
}

func (*editSuite) TestCheckSetIsTheParsersWord(c *gc.C) {
	for i, t := range []struct {
		data, feature, trigger, err string
	}{
		{"a on\n", "a", "on", ""},
		{"a\n", "a", "", ""},
		{"a 2*on # x\n", "a", "2*on", ""},
		{"a on # caf\xe9\n", "a", "on", `f: the edited file would have no rule for "a" that IsActive reads: nothing written`},
		{"a\na off\n", "a", "off", `f:1: the edited file would arm "a" with "on", not "off": nothing written`},
		{"b\n", "a", "on", `f: the edited file would have no rule for "a" .*`},
	} {
		c.Logf("test %d: %q", i, t.data)
		err := CheckSet("f", []byte(t.data), t.feature, t.trigger)
		if t.err == "" {
			c.Check(err, gc.IsNil)
		} else {
			c.Check(err, gc.ErrorMatches, t.err)
		}
	}
	c.Check(CheckUnset("f", []byte("b\n# a\nab on\n"), "a"), gc.IsNil)
	c.Check(CheckUnset("f", []byte("b\na 2*on\n"), "a"), gc.ErrorMatches, `f:2: the edited file would still arm "a" with "2\*on": nothing written`)
}
