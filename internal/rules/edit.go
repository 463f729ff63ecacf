package rules

import (
	"fmt"
	"math"
	"strings"

	"github.com/juju/errors"
)

// The edits below work on a category file's text and leave every line they
// are not asked about exactly as written: comments, blank lines, spacing,
// line endings, even lines that do not parse. A line belongs to a feature
// when its first field (before any comment) is the feature's name, whether
// or not the rest of it parses: setting a feature whose line has a typo
// replaces the typo rather than leaving a second, dead line behind. Lines
// and fields are found with Split and FieldsOf, as the parser finds them.

// RuleFor builds the one line that arms feature with trigger and parses it
// as IsActive would, so nothing IsActive would skip is ever written. It
// returns the trigger to write: "" for a bare feature, otherwise the
// trigger in canonical form.
func RuleFor(feature, trigger string) (string, error) {
	if err := CheckFeature(feature); err != nil {
		return "", err
	}
	if trigger == "" {
		return "", nil
	}
	// One field, or the line would say something else: "on # x" has a
	// comment, and "#x" alone would leave a bare feature, always on.
	if strings.ContainsAny(trigger, " \t\r\n") || strings.HasPrefix(trigger, "#") {
		return "", errors.Errorf("bad trigger %q: a trigger is one field, without blanks or line breaks, not starting with \"#\"", trigger)
	}
	rule, err := ParseLine(feature + " " + trigger)
	if err != nil {
		return "", err
	}
	return rule.Trigger, nil
}

// SetRule returns data with feature's line saying trigger ("" for a bare
// feature): its first line is rewritten in place and any later ones
// dropped, or, when it has none, a line is added at the end. The line
// keeps its comment unless that would spoil it (a comment that is not
// valid UTF-8 makes IsActive skip the whole line); CheckSet is the final
// word on the result.
func SetRule(data []byte, feature, trigger string) []byte {
	out := editRule(data, feature, trigger, true)
	if CheckSet("", out, feature, trigger) != nil {
		out = editRule(data, feature, trigger, false)
	}
	return out
}

// editRule is SetRule, keeping the replaced line's comment or not.
func editRule(data []byte, feature, trigger string, keepComment bool) []byte {
	bom, lines := Split(data)
	out := lines[:0:0]
	done := false
	for _, l := range lines {
		if FieldsOf(l.Text).Feature != feature {
			out = append(out, l)
			continue
		}
		if !done {
			l.Text = ruleLine(l.Text, feature, trigger, keepComment)
			out = append(out, l)
			done = true
		}
	}
	if !done {
		eol := lineEnding(lines)
		// A last line without a newline gets one, or the new line would
		// run on from it; a lone CR becomes CRLF.
		if n := len(out); n > 0 {
			switch out[n-1].EOL {
			case "":
				out[n-1].EOL = eol
			case "\r":
				out[n-1].EOL = "\r\n"
			}
		}
		out = append(out, Line{Text: ruleLine("", feature, trigger, false), EOL: eol})
	}
	return Join(bom, out)
}

// ruleLine gives the text of feature's line with trigger ("" for a bare
// feature), keeping what old (one of the feature's lines, or "" for a new
// line) had around the fields: its indentation, the blanks between feature
// and trigger, and, when keepComment is set, its comment. Extra fields on
// a line that did not parse are dropped.
func ruleLine(old, feature, trigger string, keepComment bool) string {
	if old == "" {
		if trigger == "" {
			return feature
		}
		return feature + " " + trigger
	}
	f := FieldsOf(old)
	var b strings.Builder
	b.WriteString(old[:f.FeatureEnd])
	if trigger != "" {
		if f.Trigger != "" {
			b.WriteString(old[f.FeatureEnd:f.TriggerStart])
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(trigger)
	}
	if keepComment {
		b.WriteString(old[f.CommentStart:])
	}
	return b.String()
}

// lineEnding is the ending new lines get: "\r\n" when the file's first line
// ends that way, so a file edited on Windows stays consistent.
func lineEnding(lines []Line) string {
	if len(lines) > 0 && lines[0].EOL == "\r\n" {
		return "\r\n"
	}
	return "\n"
}

// UnsetRule returns data without feature's lines, and whether there were
// any.
//
// A byte-order mark is skipped only at the very start of a file, so a line
// that starts with one later on is a bad line. Removing the lines before
// it must not make its mark the file's and arm it: then a blank line is
// left in front of it, with the removed first line's ending.
func UnsetRule(data []byte, feature string) ([]byte, bool) {
	bom, lines := Split(data)
	out := lines[:0:0]
	for _, l := range lines {
		if FieldsOf(l.Text).Feature != feature {
			out = append(out, l)
		}
	}
	if len(out) == len(lines) {
		return data, false
	}
	if !bom && len(out) > 0 && out[0].N != 1 && strings.HasPrefix(out[0].Text, BOM) {
		out = append([]Line{{EOL: lines[0].EOL}}, out...)
	}
	return Join(bom, out), true
}

// winningRule is the rule IsActive would follow for feature in a file
// holding data: the first valid line naming it.
func winningRule(path string, data []byte, feature string) (Rule, bool) {
	for _, r := range ParseFile(path, data).Rules {
		if r.Feature == feature {
			return r, true
		}
	}
	return Rule{}, false
}

// CheckSet says whether a file holding data arms feature with trigger (in
// canonical form, "" for a bare feature) as IsActive reads it. This is the
// net under every edit: a command that says it armed a rule armed exactly
// that rule.
func CheckSet(path string, data []byte, feature, trigger string) error {
	want := trigger
	if want == "" {
		want = "on"
	}
	r, ok := winningRule(path, data, feature)
	switch {
	case !ok:
		return errors.Errorf("%s: the edited file would have no rule for %q that IsActive reads: nothing written", path, feature)
	case r.Trigger != want:
		return errors.Errorf("%s:%d: the edited file would arm %q with %q, not %q: nothing written", path, r.Line, feature, r.Trigger, want)
	}
	return nil
}

// CheckUnset says whether a file holding data has no rule for feature as
// IsActive reads it.
func CheckUnset(path string, data []byte, feature string) error {
	if r, ok := winningRule(path, data, feature); ok {
		return errors.Errorf("%s:%d: the edited file would still arm %q with %q: nothing written", path, r.Line, feature, r.Trigger)
	}
	return nil
}

// CheckRelease finds the paused rule for feature in a file holding data
// to release n calls of, or says why there is none.
func CheckRelease(path string, data []byte, feature string, n int) (Rule, error) {
	if n < 1 {
		return Rule{}, errors.Errorf("cannot release %d calls: the count must be at least 1", n)
	}
	r, ok := winningRule(path, data, feature)
	switch {
	case !ok:
		return Rule{}, errors.Errorf("%s: no rule for %q, so there is nothing to release", path, feature)
	case !r.Parsed.hasPause():
		return Rule{}, errors.Errorf("%s:%d: rule %q for %q has no pause, so there is nothing to release", path, r.Line, r.Trigger, feature)
	}
	return r, nil
}

// ReleaseTrigger is the trigger that lets n more calls pass feature's
// paused rule r and pauses the ones after. The line "K*off->pause" says K
// calls pass in all, so a rule already of that form gets K+n: a process
// that reads both lines lets n more through (see Live.CarryOver), and one
// that reads only the last lets K+n, the sum of the releases. Any other
// rule (a plain pause, "2*on->pause") becomes "n*off->pause".
func ReleaseTrigger(path string, r Rule, n int) (string, error) {
	k, _ := releasedCalls(&r.Parsed) // 0 when r is of another form
	if k > math.MaxInt-n {
		return "", errors.Errorf("%s:%d: cannot release %d more calls of %q: its rule %q lets %d through already, and the total would overflow; set it to pause to start again from 0", path, r.Line, n, r.Feature, r.Trigger, k)
	}
	return fmt.Sprintf("%d*off->pause", k+n), nil
}
