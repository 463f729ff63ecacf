package wrench

import (
	"os"
	"sort"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/store"
)

// CategoryFile is what one category file says, as List reads it.
type CategoryFile struct {
	// Category is the category's name, which is the file's name.
	Category string
	// Path is the file's path.
	Path string
	// Rules are the file's rules in file order, as IsActive parses them.
	Rules []Rule
	// Problems are the lines IsActive skips, with why.
	Problems []Problem
	// Unreadable says why the file could not be read as rules (it is not
	// a regular file, or is over MaxFileSize); "" when it was.
	Unreadable string
	// BOM is whether the file starts with a UTF-8 byte-order mark, which
	// IsActive skips: it is not part of the first feature's name.
	BOM bool
}

// Rule is one valid line of a category file: a feature and what arms it.
type Rule struct {
	// Feature is the name the call site passes to IsActive.
	Feature string
	// Trigger is the trigger in canonical form; "on" for a bare feature.
	Trigger string
	// Line is the line's number in its file, counting from 1.
	Line int
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
	return rules.Problem(p).Error()
}

// exportRules gives the parser's rules as the API shows them: what the
// line says, without the parsed trigger only evaluation needs.
func exportRules(in []rules.Rule) []Rule {
	if in == nil {
		return nil
	}
	out := make([]Rule, len(in))
	for i, r := range in {
		out[i] = Rule{Feature: r.Feature, Trigger: r.Trigger, Line: r.Line}
	}
	return out
}

// exportProblems gives the parser's problems as the API shows them.
func exportProblems(in []rules.Problem) []Problem {
	if in == nil {
		return nil
	}
	out := make([]Problem, len(in))
	for i, p := range in {
		out[i] = Problem(p)
	}
	return out
}

// List reads the files of the named categories in the order named, or of
// every category in name order when none is named. A named category
// without a file is left out. List says what the files say; whether
// IsActive in a given process would honour them is Check's business.
//
// List never follows a symbolic link and never opens anything but a
// regular file. A wrench directory that does not exist holds no rules.
func List(categories ...string) ([]CategoryFile, error) {
	if err := needDataDir(); err != nil {
		return nil, err
	}
	for _, name := range categories {
		if _, err := categoryFile(name); err != nil {
			return nil, err
		}
	}
	d, err := store.OpenToLook(wrenchDir(DataDir()))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list")
	}
	defer d.Close()
	names, err := categoryNames(d, categories)
	if err != nil {
		return nil, err
	}
	var files []CategoryFile
	for _, name := range names {
		fs, err := d.Look(name)
		if err != nil {
			return nil, err
		}
		if !fs.Exists {
			continue
		}
		cf := CategoryFile{Category: name, Path: fs.Path, Unreadable: fs.Unreadable}
		if fs.Content != nil {
			pf := rules.ParseFile(fs.Path, fs.Content)
			cf.Rules, cf.Problems, cf.BOM = exportRules(pf.Rules), exportProblems(pf.Problems), pf.BOM
		}
		files = append(files, cf)
	}
	return files, nil
}

// categoryNames is the named categories in the order given, or when none
// is named every valid category name in the directory in name order;
// either way without repeats.
func categoryNames(d *store.Dir, named []string) ([]string, error) {
	if len(named) > 0 {
		return withoutRepeats(named), nil
	}
	all, err := d.Names()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range all {
		if rules.CheckCategory(name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// withoutRepeats is names without the second and later of each name.
func withoutRepeats(names []string) []string {
	seen := make(map[string]bool, len(names))
	var out []string
	for _, name := range names {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
