package wrench

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/juju/errors"
)

// The edits below work on a category file's text and leave every line they
// are not asked about exactly as written: comments, blank lines, spacing,
// line endings, even lines that do not parse. A line belongs to a feature
// when its first field (before any comment) is the feature's name, whether
// or not the rest of it parses: `set` on a feature whose line has a typo
// replaces the typo rather than leaving a second, dead line behind.

// fileLine is one line of a file as written: its text without the line
// ending, and the ending ("\n", "\r\n", or for a last line without a
// newline "\r" or "").
type fileLine struct {
	text string
	eol  string
}

// splitLines cuts data into lines, keeping each line's ending. A "\r"
// before the newline, or at the very end of the data, is part of the
// ending, as the parser trims it: text is what the parser reads.
func splitLines(data []byte) []fileLine {
	var out []fileLine
	s := string(data)
	for s != "" {
		line, rest, found := strings.Cut(s, "\n")
		l := fileLine{text: line}
		if found {
			l.eol = "\n"
		}
		if strings.HasSuffix(line, "\r") {
			l.text, l.eol = line[:len(line)-1], "\r"+l.eol
		}
		out = append(out, l)
		s = rest
	}
	return out
}

// leadingBOM splits a UTF-8 byte-order mark off the start of data. The
// parser skips one, so the editor keeps it where it is and reads the first
// line as what follows it.
func leadingBOM(data []byte) (bom, body []byte) {
	const mark = "\xef\xbb\xbf"
	if bytes.HasPrefix(data, []byte(mark)) {
		// Capped, so appending to bom never writes into data.
		return data[:len(mark):len(mark)], data[len(mark):]
	}
	return nil, data
}

// joinLines is the inverse of splitLines.
func joinLines(lines []fileLine) []byte {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// lineFields locates the parts of a rule line that an edit rewrites. The
// feature ends at featureEnd; the trigger, when there is one, spans
// [triggerStart, triggerEnd); the comment, with the blanks before it,
// starts at commentStart (len(text) when there is none).
type lineFields struct {
	feature                  string
	featureEnd               int
	triggerStart, triggerEnd int
	commentStart             int
}

// fieldsOf finds the fields of text as parseLine splits them. A blank or
// comment line has no feature.
func fieldsOf(text string) lineFields {
	var lf lineFields
	lf.commentStart = len(text)
	isBlank := func(c byte) bool { return c == ' ' || c == '\t' }
	field := 0
	for i := 0; i < len(text); {
		if isBlank(text[i]) {
			i++
			continue
		}
		start := i
		for i < len(text) && !isBlank(text[i]) {
			i++
		}
		if text[start] == '#' {
			// The comment keeps the blanks that set it off from the rule.
			for start > 0 && isBlank(text[start-1]) {
				start--
			}
			lf.commentStart = start
			break
		}
		switch field {
		case 0:
			lf.feature, lf.featureEnd = text[start:i], i
		case 1:
			lf.triggerStart, lf.triggerEnd = start, i
		}
		field++
	}
	return lf
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
	lf := fieldsOf(old)
	var b strings.Builder
	b.WriteString(old[:lf.featureEnd])
	if trigger != "" {
		if lf.triggerStart > 0 && lf.triggerStart < lf.commentStart {
			b.WriteString(old[lf.featureEnd:lf.triggerStart])
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(trigger)
	}
	if keepComment {
		b.WriteString(old[lf.commentStart:])
	}
	return b.String()
}

// setRule returns data with feature's line saying trigger: its first line
// is rewritten in place and any later ones dropped, or, when it has none, a
// line is added at the end. The line keeps its comment unless that would
// spoil it (a comment that is not valid UTF-8 makes IsActive skip the
// whole line); checkSet is the final word on the result.
func setRule(data []byte, feature, trigger string) []byte {
	out := editRule(data, feature, trigger, true)
	if checkSet("", out, feature, trigger) != nil {
		out = editRule(data, feature, trigger, false)
	}
	return out
}

// editRule is setRule, keeping the replaced line's comment or not.
func editRule(data []byte, feature, trigger string, keepComment bool) []byte {
	bom, body := leadingBOM(data)
	lines := splitLines(body)
	out := lines[:0:0]
	done := false
	for _, l := range lines {
		if fieldsOf(l.text).feature != feature {
			out = append(out, l)
			continue
		}
		if !done {
			l.text = ruleLine(l.text, feature, trigger, keepComment)
			out = append(out, l)
			done = true
		}
	}
	if !done {
		eol := lineEnding(lines)
		// A last line without a newline gets one, or the new line would
		// run on from it; a lone CR becomes CRLF.
		if n := len(out); n > 0 {
			switch out[n-1].eol {
			case "":
				out[n-1].eol = eol
			case "\r":
				out[n-1].eol = "\r\n"
			}
		}
		out = append(out, fileLine{text: ruleLine("", feature, trigger, false), eol: eol})
	}
	return append(bom, joinLines(out)...)
}

// unsetRule returns data without feature's lines, and whether there were
// any.
func unsetRule(data []byte, feature string) ([]byte, bool) {
	bom, body := leadingBOM(data)
	lines := splitLines(body)
	out := lines[:0:0]
	for _, l := range lines {
		if fieldsOf(l.text).feature != feature {
			out = append(out, l)
		}
	}
	if len(out) == len(lines) {
		return data, false
	}
	return append(bom, joinLines(out)...), true
}

// winningRule is the rule IsActive would follow for feature in a file
// holding data: the first valid line naming it.
func winningRule(path string, data []byte, feature string) (Rule, bool) {
	_, body := leadingBOM(data)
	for _, r := range parseFile(path, body).rules {
		if r.Feature == feature {
			return r, true
		}
	}
	return Rule{}, false
}

// checkSet says whether a file holding data arms feature with trigger (in
// canonical form, "" for a bare feature) as IsActive reads it. This is the
// net under every edit: a command that says it armed a rule armed exactly
// that rule.
func checkSet(path string, data []byte, feature, trigger string) error {
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

// checkUnset says whether a file holding data has no rule for feature as
// IsActive reads it.
func checkUnset(path string, data []byte, feature string) error {
	if r, ok := winningRule(path, data, feature); ok {
		return errors.Errorf("%s:%d: the edited file would still arm %q with %q: nothing written", path, r.Line, feature, r.Trigger)
	}
	return nil
}

// lineEnding is the ending new lines get: "\r\n" when the file's first line
// ends that way, so a file edited on Windows stays consistent.
func lineEnding(lines []fileLine) string {
	if len(lines) > 0 && lines[0].eol == "\r\n" {
		return "\r\n"
	}
	return "\n"
}

// releaseTrigger is the trigger that lets n more calls pass feature's
// paused rule r and pauses the ones after. The line "K*off->pause" says K
// calls pass in all, so a rule already of that form gets K+n: a process
// that reads both lines lets n more through (see liveRule.carryOver), and
// one that reads only the last lets K+n, the sum of the releases. Any
// other rule (a plain pause, "2*on->pause") becomes "n*off->pause".
func releaseTrigger(path string, r Rule, n int) (string, error) {
	k, _ := releasedCalls(&r.trigger) // 0 when r is of another form
	if k > math.MaxInt-n {
		return "", errors.Errorf("%s:%d: cannot release %d more calls of %q: its rule %q lets %d through already, and the total would overflow; set it to pause to start again from 0", path, r.Line, n, r.Feature, r.Trigger, k)
	}
	return fmt.Sprintf("%d*off->pause", k+n), nil
}

// releasedCalls reports whether t is what Release writes, "K*off->pause",
// and K: how many calls it lets through in all before pausing.
func releasedCalls(t *trigger) (int, bool) {
	if len(t.terms) != 2 || t.repeat {
		return 0, false
	}
	off, pause := &t.terms[0], &t.terms[1]
	if off.act != actOff || off.percent != 0 || off.count == 0 ||
		pause.act != actPause || pause.percent != 0 || pause.count != 0 {
		return 0, false
	}
	return off.count, true
}

// checkRelease finds the paused rule for feature in rules to release n
// calls of, or says why there is none.
func checkRelease(path string, rules []Rule, feature string, n int) (Rule, error) {
	if n < 1 {
		return Rule{}, errors.Errorf("cannot release %d calls: the count must be at least 1", n)
	}
	for _, r := range rules {
		if r.Feature != feature {
			continue
		}
		if !r.trigger.hasPause() {
			return Rule{}, errors.Errorf("%s:%d: rule %q for %q has no pause, so there is nothing to release", path, r.Line, r.Trigger, feature)
		}
		return r, nil
	}
	return Rule{}, errors.Errorf("%s: no rule for %q, so there is nothing to release", path, feature)
}

// ruleFor builds the one line that arms feature with trigger and parses it
// as IsActive would, so nothing IsActive would skip is ever written. It
// returns the trigger to write: "" for a bare feature, otherwise the
// trigger in canonical form.
func ruleFor(feature, trigger string) (string, error) {
	if err := checkFeature(feature); err != nil {
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
	rule, err := parseLine(feature + " " + trigger)
	if err != nil {
		return "", err
	}
	return rule.Trigger, nil
}
