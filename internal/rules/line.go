package rules

import "strings"

// BOM is the UTF-8 byte-order mark. Editors on Windows write one at the
// start of a file; it must not become part of the first feature's name.
const BOM = "\xef\xbb\xbf"

// Line is one line of a category file as written.
type Line struct {
	// Text is the line without its ending: what the parser reads.
	Text string
	// EOL is the line's ending: "\n", "\r\n", or for a last line without
	// a newline "\r" or "". An edit writes it back unchanged.
	EOL string
	// N is the line's number, counting from 1.
	N int
}

// Split cuts a file's content into lines, after the byte-order mark it
// starts with, if any. Only the very start counts: a mark anywhere else is
// part of a line (and makes its feature name invalid, see CheckFeature).
// A "\r" before the newline, or at the very end of the data, is part of
// the ending, so a file written on Windows reads as one written on unix.
//
// This is the only place a file is cut into lines: the parser and the
// editor both read through it, so they always agree on what line 1 is.
func Split(data []byte) (bom bool, lines []Line) {
	s := string(data)
	if strings.HasPrefix(s, BOM) {
		s, bom = s[len(BOM):], true
	}
	for n := 1; s != ""; n++ {
		text, rest, found := strings.Cut(s, "\n")
		l := Line{Text: text, N: n}
		if found {
			l.EOL = "\n"
		}
		if strings.HasSuffix(text, "\r") {
			l.Text, l.EOL = text[:len(text)-1], "\r"+l.EOL
		}
		lines = append(lines, l)
		s = rest
	}
	return bom, lines
}

// Join is the inverse of Split.
func Join(bom bool, lines []Line) []byte {
	var b strings.Builder
	if bom {
		b.WriteString(BOM)
	}
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteString(l.EOL)
	}
	return []byte(b.String())
}

// Fields locates the fields of one line: FEATURE [TRIGGER] [EXTRA...]
// [# comment]. Offsets are byte offsets into the line's text; a field
// that is missing is "" with offsets 0.
type Fields struct {
	// Feature is the first field, "" on a blank or comment line.
	Feature    string
	FeatureEnd int
	// Trigger is the second field, spanning [TriggerStart, TriggerEnd).
	Trigger                  string
	TriggerStart, TriggerEnd int
	// Extra is the third field, which makes the line bad, and Extras how
	// many fields follow the trigger.
	Extra  string
	Extras int
	// CommentStart is where the comment starts, with the blanks that set
	// it off from the rule; len(text) when there is none.
	CommentStart int
}

// FieldsOf splits a line's text into its fields, on spaces and tabs. A
// field starting with "#" starts a comment, which runs to the end of the
// line; "#" inside a field is part of it. This is the only place a line
// is split: the parser and the editor both read through it, so an edit
// rewrites exactly the line the parser reads as the feature's.
func FieldsOf(text string) Fields {
	var f Fields
	f.CommentStart = len(text)
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
			for start > 0 && isBlank(text[start-1]) {
				start--
			}
			f.CommentStart = start
			break
		}
		switch field {
		case 0:
			f.Feature, f.FeatureEnd = text[start:i], i
		case 1:
			f.Trigger, f.TriggerStart, f.TriggerEnd = text[start:i], start, i
		case 2:
			f.Extra = text[start:i]
		}
		if field >= 2 {
			f.Extras++
		}
		field++
	}
	return f
}
