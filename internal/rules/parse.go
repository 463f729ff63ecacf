package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/juju/errors"
)

// MaxNameLength bounds category names (and, four bytes a character,
// feature names), so that no caller's string is kept or logged whole.
const MaxNameLength = 64

// Rule is one valid line of a category file: a feature and what arms it.
type Rule struct {
	// Feature is the name the call site passes to IsActive.
	Feature string
	// Trigger is the trigger in canonical form; "on" for a bare feature.
	Trigger string
	// Line is the line's number in its file, counting from 1.
	Line int

	// Parsed is Trigger, parsed: what evaluation walks.
	Parsed Trigger
}

// Problem is a line of a category file that does not parse, or a rule that
// names a feature an earlier line already named.
type Problem struct {
	// Path is the category file's path, used only to name the problem.
	Path string
	// Line is the line's number, counting from 1.
	Line int
	// Text is the line as written, without its line ending.
	Text string
	// Reason says why the line does not count.
	Reason string
}

// Error reads "file:line: reason", the form users find in logs.
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Reason)
}

// File is what one category file says: its rules in file order, the first
// line naming a feature winning, and the lines that do not count.
type File struct {
	Rules    []Rule
	Problems []Problem
	// BOM is whether the file starts with a UTF-8 byte-order mark, which
	// is skipped, not read as part of the first feature's name.
	BOM bool
}

// ParseFile parses a category file's content. path is used only to name
// problems; it never changes what counts.
func ParseFile(path string, data []byte) File {
	var pf File
	bom, lines := Split(data)
	pf.BOM = bom
	seen := make(map[string]int)
	for _, l := range lines {
		rule, err := ParseLine(l.Text)
		if err != nil {
			pf.Problems = append(pf.Problems, Problem{Path: path, Line: l.N, Text: l.Text, Reason: err.Error()})
			continue
		}
		if rule.Feature == "" {
			continue // blank or comment
		}
		if first, dup := seen[rule.Feature]; dup {
			pf.Problems = append(pf.Problems, Problem{Path: path, Line: l.N, Text: l.Text,
				Reason: fmt.Sprintf("feature %q is already set on line %d, which wins", rule.Feature, first)})
			continue
		}
		seen[rule.Feature] = l.N
		rule.Line = l.N
		pf.Rules = append(pf.Rules, rule)
	}
	return pf
}

// ParseLine parses one line's text: FEATURE [TRIGGER] [# comment]. A blank
// or comment line gives a Rule with no Feature and no error. The Rule's
// Line is left 0 for the caller to fill in.
func ParseLine(text string) (Rule, error) {
	if !utf8.ValidString(text) {
		return Rule{}, errors.New("line is not valid UTF-8")
	}
	f := FieldsOf(text)
	switch {
	case f.Feature == "":
		return Rule{}, nil
	case f.Extras > 0:
		return Rule{}, errors.Errorf("extra field %q after the trigger (a comment starts with \"#\")", f.Extra)
	}
	if err := CheckFeature(f.Feature); err != nil {
		return Rule{}, err
	}
	rule := Rule{Feature: f.Feature, Trigger: "on", Parsed: alwaysOn}
	if f.Trigger != "" {
		t, err := ParseTrigger(f.Trigger)
		if err != nil {
			return Rule{}, errors.Annotatef(err, "bad trigger %q", f.Trigger)
		}
		rule.Parsed, rule.Trigger = t, t.String()
	}
	return rule, nil
}

// CheckFeature says why name cannot be a feature, or nil. A feature is one
// field of a line: no spaces, no control characters, no leading "#", and
// no invisible formatting characters (a byte-order mark, a zero-width
// space, a bidirectional override): a name holding one looks like another
// name, so a rule would silently miss the call site it was meant for.
func CheckFeature(name string) error {
	switch {
	case name == "":
		return errors.New("empty feature name")
	case len(name) > 4*MaxNameLength:
		return errors.Errorf("feature name %q is longer than %d bytes", name, 4*MaxNameLength)
	case !utf8.ValidString(name):
		return errors.Errorf("feature name %q is not valid UTF-8", name)
	case strings.HasPrefix(name, "#"):
		return errors.Errorf("feature name %q starts with \"#\", which starts a comment", name)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errors.Errorf("feature name %q contains a space or control character", name)
		}
		if unicode.Is(unicode.Cf, r) {
			return errors.Errorf("feature name %q contains the invisible formatting character %U", name, r)
		}
	}
	return nil
}

// CheckCategory says why name cannot be a category, or nil: 1 to 64 of
// A-Z a-z 0-9 . _ -, not starting with ".". This is what keeps every path
// wrench reads inside the wrench directory.
func CheckCategory(name string) error {
	if name == "" {
		return errors.New("empty category name")
	}
	if len(name) > MaxNameLength {
		return errors.Errorf("category name %q is longer than %d characters", name, MaxNameLength)
	}
	if name[0] == '.' {
		return errors.Errorf("category name %q starts with \".\"", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			// Name the character, not its first byte: "é", not "\xc3".
			bad := name[i : i+1]
			if r, size := utf8.DecodeRuneInString(name[i:]); r != utf8.RuneError || size > 1 {
				bad = name[i : i+size]
			}
			return errors.Errorf("category name %q has %q, outside A-Z a-z 0-9 . _ -", name, bad)
		}
	}
	return nil
}
