package wrench

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/juju/errors"
)

// maxNameLength bounds category and feature names.
const maxNameLength = 64

// Rule is one valid line of a category file: a feature and what arms it.
type Rule struct {
	// Feature is the name the call site passes to IsActive.
	Feature string
	// Trigger is the trigger in canonical form; "on" for a bare feature.
	Trigger string
	// Line is the line's number in its file, counting from 1.
	Line int

	trigger trigger
}

// Problem is a line of a category file that does not parse, or a rule that
// names a feature an earlier line already named. Its Error reads
// "file:line: reason".
type Problem struct {
	// Path is the category file's path.
	Path string
	// Line is the line's number, counting from 1.
	Line int
	// Text is the line as written, without its line ending.
	Text string
	// Reason says why the line does not count.
	Reason string
}

// Error implements error.
func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Reason)
}

// parsedFile is what one category file says: its rules in file order, the
// first line naming a feature winning, and the lines that do not count.
type parsedFile struct {
	rules    []Rule
	problems []Problem
	// bom is whether the file starts with a UTF-8 byte-order mark, which
	// is skipped: editors on Windows write one, and it must not become
	// part of the first feature's name.
	bom bool
}

// utf8BOM is the UTF-8 byte-order mark.
const utf8BOM = "\xef\xbb\xbf"

// skipBOM is data without the UTF-8 byte-order mark it starts with, if it
// starts with one. Only the very start counts: a mark anywhere else is
// part of a line (and makes its feature name invalid, see checkFeature).
func skipBOM(data []byte) (rest []byte, bom bool) {
	if strings.HasPrefix(string(data), utf8BOM) {
		return data[len(utf8BOM):], true
	}
	return data, false
}

// parseFile parses a category file's content. path is used only to name
// problems; it never changes what counts.
func parseFile(path string, data []byte) parsedFile {
	var pf parsedFile
	data, pf.bom = skipBOM(data)
	seen := make(map[string]int)
	for n, text := range lines(data) {
		rule, err := parseLine(text)
		if err != nil {
			pf.problems = append(pf.problems, Problem{Path: path, Line: n, Text: text, Reason: err.Error()})
			continue
		}
		if rule.Feature == "" {
			continue // blank or comment
		}
		if first, dup := seen[rule.Feature]; dup {
			pf.problems = append(pf.problems, Problem{Path: path, Line: n, Text: text,
				Reason: fmt.Sprintf("feature %q is already set on line %d, which wins", rule.Feature, first)})
			continue
		}
		seen[rule.Feature] = n
		rule.Line = n
		pf.rules = append(pf.rules, rule)
	}
	return pf
}

// lines yields each line of data with its number, without "\n" or a
// trailing "\r"; a last line without a newline counts.
func lines(data []byte) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		s := string(data)
		for n := 1; s != ""; n++ {
			line, rest, _ := strings.Cut(s, "\n")
			if !yield(n, strings.TrimSuffix(line, "\r")) {
				return
			}
			s = rest
		}
	}
}

// parseLine parses one line: FEATURE [TRIGGER] [# comment]. A blank or
// comment line gives a Rule with no Feature and no error.
func parseLine(text string) (Rule, error) {
	if !utf8.ValidString(text) {
		return Rule{}, errors.New("line is not valid UTF-8")
	}
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' })
	for i, f := range fields {
		if strings.HasPrefix(f, "#") {
			fields = fields[:i]
			break
		}
	}
	switch len(fields) {
	case 0:
		return Rule{}, nil
	case 1, 2:
	default:
		return Rule{}, errors.Errorf("extra field %q after the trigger (a comment starts with \"#\")", fields[2])
	}
	if err := checkFeature(fields[0]); err != nil {
		return Rule{}, err
	}
	rule := Rule{Feature: fields[0], Trigger: "on", trigger: alwaysOn}
	if len(fields) == 2 {
		t, err := parseTrigger(fields[1])
		if err != nil {
			return Rule{}, errors.Annotatef(err, "bad trigger %q", fields[1])
		}
		rule.trigger, rule.Trigger = t, t.String()
	}
	return rule, nil
}

// checkFeature says why name cannot be a feature, or nil. A feature is one
// field of a line: no spaces, no control characters, no leading "#", and
// no invisible formatting characters (a byte-order mark, a zero-width
// space, a bidirectional override): a name holding one looks like another
// name, so a rule would silently miss the call site it was meant for.
func checkFeature(name string) error {
	switch {
	case name == "":
		return errors.New("empty feature name")
	case len(name) > 4*maxNameLength:
		return errors.Errorf("feature name %q is longer than %d bytes", name, 4*maxNameLength)
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

// checkCategory says why name cannot be a category, or nil: 1 to 64 of
// A-Z a-z 0-9 . _ -, not starting with ".". This is what keeps every path
// wrench reads inside the wrench directory.
func checkCategory(name string) error {
	if name == "" {
		return errors.New("empty category name")
	}
	if len(name) > maxNameLength {
		return errors.Errorf("category name %q is longer than %d characters", name, maxNameLength)
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
