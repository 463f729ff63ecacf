package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	gc "gopkg.in/check.v1"
)

// The reader and the editor must split a file alike: an edit that finds a
// feature's line somewhere the parser does not (or the reverse) writes a
// file that says something other than what was asked. These tests hold
// them to that on content built from the pieces where they could differ.

// agreeSuite tests that reading and editing tokenize alike.
type agreeSuite struct{}

var _ = gc.Suite(&agreeSuite{})

// pieces are the parts of a file where a reader and an editor could
// disagree: marks, blanks, line endings, comments, bad bytes.
var pieces = []string{
	"a", "b", "c", "\ufeff", "\u200b", " ", "\t", "\r", "\n", "\r\n", "#",
	"# x", "on", "2*on", "off", "pause", "1*off->pause", "\xff", "a#",
	"0*on", "sleep(", "x y",
}

// randomContent strings n random pieces together.
func randomContent(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// view is what the parser makes of a file: each feature's trigger.
func view(data []byte) map[string]string {
	out := map[string]string{}
	for _, r := range ParseFile("f", data).Rules {
		out[r.Feature] = r.Trigger
	}
	return out
}

// checkAgree says how the editor and the parser disagree on content, or
// "" when they agree: every rule the parser reads is on a line whose
// first field the editor reads as the rule's feature; setting or unsetting
// a feature gives a file the parser reads as asked; and every other
// feature reads as it did.
func checkAgree(content string) string {
	data := []byte(content)
	before := view(data)
	_, lines := Split(data)
	features := []string{"a", "b", "new"}
	for _, r := range ParseFile("f", data).Rules {
		if got := FieldsOf(lines[r.Line-1].Text).Feature; got != r.Feature {
			return fmt.Sprintf("the parser reads %q on line %d, the editor %q", r.Feature, r.Line, got)
		}
		features = append(features, r.Feature)
	}
	for _, feature := range features {
		for _, trigger := range []string{"", "off", "2*on->pause"} {
			out := SetRule(data, feature, trigger)
			if err := CheckSet("f", out, feature, trigger); err != nil {
				return fmt.Sprintf("set %q %q gives %q: %v", feature, trigger, out, err)
			}
			if diff := others(before, view(out), feature); diff != "" {
				return fmt.Sprintf("set %q %q gives %q: %s", feature, trigger, out, diff)
			}
		}
		out, _ := UnsetRule(data, feature)
		if err := CheckUnset("f", out, feature); err != nil {
			return fmt.Sprintf("unset %q gives %q: %v", feature, out, err)
		}
		if diff := others(before, view(out), feature); diff != "" {
			return fmt.Sprintf("unset %q gives %q: %s", feature, out, diff)
		}
	}
	return ""
}

// others says how after differs from before for features but the edited
// one, or "".
func others(before, after map[string]string, edited string) string {
	for f, t := range before {
		if f != edited && after[f] != t {
			return fmt.Sprintf("%q was %q, is now %q", f, t, after[f])
		}
	}
	for f, t := range after {
		if _, ok := before[f]; !ok && f != edited {
			return fmt.Sprintf("%q appeared as %q", f, t)
		}
	}
	return ""
}

func (*agreeSuite) TestReaderAndEditorTokenizeAlike(c *gc.C) {
	r := rand.New(rand.NewPCG(10, 1))
	for i := 0; i < 4000; i++ {
		content := randomContent(r, r.IntN(24))
		if diff := checkAgree(content); diff != "" {
			c.Fatalf("content %q: %s", content, diff)
		}
	}
}

func (*agreeSuite) TestTwoMarksAreNotSkippedTwice(c *gc.C) {
	// One mark is skipped; a second starts line 1's feature, which makes
	// the line bad. Setting the feature the mark hides adds a line for it,
	// and the check of that edit must read the file as IsActive does, not
	// skip a mark more.
	data := []byte("\ufeff\ufeffa on\n")
	out := SetRule(data, "a", "off")
	c.Check(string(out), gc.Equals, "\ufeff\ufeffa on\na off\n")
	c.Check(CheckSet("f", out, "a", "off"), gc.IsNil)
}

func FuzzEditAgreesWithParser(f *testing.F) {
	for _, s := range fileSeeds {
		f.Add(s)
	}
	f.Add("\ufeff\ufeffa on\n")
	f.Add("x\nfeat\r")
	f.Fuzz(func(t *testing.T, content string) {
		if diff := checkAgree(content); diff != "" {
			t.Fatalf("content %q: %s", content, diff)
		}
	})
}
