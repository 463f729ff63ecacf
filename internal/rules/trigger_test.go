package rules

import (
	"strings"
	"testing"

	gc "gopkg.in/check.v1"
)

func Test(t *testing.T) { gc.TestingT(t) }

// syntaxSuite tests reading and printing triggers and lines.
type syntaxSuite struct{}

var _ = gc.Suite(&syntaxSuite{})

// parseTriggerText parses a trigger and gives it back in canonical form.
func parseTriggerText(s string) (string, error) {
	t, err := ParseTrigger(s)
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// parseFileParts parses content as the file at path.
func parseFileParts(path, content string) ([]Rule, []Problem) {
	pf := ParseFile(path, []byte(content))
	return pf.Rules, pf.Problems
}

func (*syntaxSuite) TestValidTriggers(c *gc.C) {
	for _, t := range []struct{ in, canonical string }{
		{"on", "on"},
		{"return", "return"},
		{"off", "off"},
		{"30%on", "30%on"},
		{"12.5%on", "12.5%on"},
		{"100%return", "100%return"},
		{"0.001%on", "0.001%on"},
		{"5.%on", "5%on"},
		{"2*on", "2*on"},
		{"30%2*on", "30%2*on"},
		{"2*on->1*off->repeat", "2*on->1*off->repeat"},
		{"sleep(250ms)", "sleep(250ms)"},
		{"sleep(2s)", "sleep(2s)"},
		{"sleep(100)", "sleep(100)"},
		{"sleep(0)", "sleep(0)"},
		{"1*sleep(1.5)->on", "1*sleep(1.5)->on"},
		{"pause", "pause"},
		{"1*off->pause", "1*off->pause"},
		{"panic", "panic"},
		{"exit", "exit"},
		{"exit(3)", "exit(3)"},
		{"exit(0)", "exit(0)"},
		{"print", "print"},
		{"10%print->off", "10%print->off"},
		{"1*on->2*off->3*pause->repeat", "1*on->2*off->3*pause->repeat"},
		{"100.000000000000000000%on", "100%on"},
		{"0100%on", "100%on"},
		// More digits than a float64 holds: the nearest one.
		{"99.99999999999999999%on", "100%on"},
		{"0." + strings.Repeat("0", 322) + "5%on", "0." + strings.Repeat("0", 322) + "5%on"},
	} {
		got, err := parseTriggerText(t.in)
		c.Check(err, gc.IsNil, gc.Commentf("%q", t.in))
		c.Check(got, gc.Equals, t.canonical, gc.Commentf("%q", t.in))
	}
}

func (*syntaxSuite) TestInvalidTriggers(c *gc.C) {
	for _, t := range []struct{ in, why string }{
		{"bogus", `unknown action "bogus"`},
		{"On", `unknown action "On"`},
		{"sleep", "sleep needs a duration"},
		{"sleep(2 s)", `sleep duration "2 s"`},
		{"sleep(xyz)", `sleep duration "xyz"`},
		{"sleep(-5ms)", `sleep duration "-5ms" is negative`},
		{"sleep(-5)", `sleep duration "-5"`},
		{"sleep()", "empty parentheses"},
		{"30%%on", `unknown action "%on"`},
		{"0%on", "chance 0% is not above 0%"},
		{"101%on", "chance 101% is not above 0% and at most 100%"},
		{"1.2.3%on", "chance 1.2.3%"},
		{"0*on", "count 0* is not a whole number of at least 1"},
		{"1.5*on", "count 1.5* is not a whole number"},
		{"-1*on", "cannot be signed"},
		{"-30%on", "cannot be signed"},
		{"on->", "dangling"},
		{"->on", "dangling"},
		{"on->->off", "dangling"},
		{"sleep(1s", `unclosed "("`},
		{"sleep1s)", `")" without a "("`},
		{"sleep((1s))", "nested parentheses"},
		{"on->repeat", "->repeat needs a count on every term"},
		{"2*on->off->repeat", `->repeat needs a count on every term, and "off" has none`},
		{"repeat", `unknown action "repeat"`},
		{"on(1)", "on takes no argument"},
		{"pause(1)", "pause takes no argument"},
		{"exit(256)", `exit status "256"`},
		{"exit(-1)", `exit status "-1"`},
		{"exit(x)", `exit status "x"`},
		{"2*30%on", `unknown action "30%on"`},
		{"", "empty trigger"},
		// Bounds hold on the digits as written, not on the float they
		// round to.
		{"100.00000000000000001%on", "chance 100.00000000000000001% is not above 0% and at most 100%"},
		{"100.1%on", "is not above 0% and at most 100%"},
		{"0100.5%on", "is not above 0% and at most 100%"},
		{"1000%on", "is not above 0% and at most 100%"},
		{"000.000%on", "is not above 0% and at most 100%"},
		{"0." + strings.Repeat("0", 400) + "1%on", "is above 0% but too small to hold"},
		{"99999999999999999999*on", "count 99999999999999999999* is too large"},
	} {
		_, err := parseTriggerText(t.in)
		if c.Check(err, gc.NotNil, gc.Commentf("%q", t.in)) {
			c.Check(strings.Contains(err.Error(), t.why), gc.Equals, true,
				gc.Commentf("%q: error %q does not say %q", t.in, err, t.why))
		}
	}
}

func (*syntaxSuite) TestExtraFieldsAndBadLinesAreNamed(c *gc.C) {
	_, problems := parseFileParts("/w/agent", "a on off\nb\nc 0*on\n")
	c.Assert(problems, gc.HasLen, 2)
	c.Check(problems[0].Error(), gc.Equals, `/w/agent:1: extra field "off" after the trigger (a comment starts with "#")`)
	c.Check(problems[1].Error(), gc.Matches, `/w/agent:3: bad trigger "0\*on": .*count 0\* is not a whole number.*`)
}
