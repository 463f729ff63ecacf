package wrench

import (
	"os"
	"sort"

	"github.com/juju/errors"
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
	d, err := openRulesDirToLook(wrenchDir(DataDir()))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list")
	}
	defer d.close()
	names, err := categoryNames(d, categories)
	if err != nil {
		return nil, err
	}
	var files []CategoryFile
	for _, name := range names {
		fs, err := d.look(name)
		if err != nil {
			return nil, err
		}
		if !fs.exists {
			continue
		}
		cf := CategoryFile{Category: name, Path: fs.path, Unreadable: fs.unreadable}
		if fs.content != nil {
			pf := parseFile(fs.path, fs.content)
			cf.Rules, cf.Problems, cf.BOM = pf.rules, pf.problems, pf.bom
		}
		files = append(files, cf)
	}
	return files, nil
}

// categoryNames is the named categories in the order given, or when none
// is named every valid category name in the directory in name order;
// either way without repeats.
func categoryNames(d *rulesDir, named []string) ([]string, error) {
	if len(named) > 0 {
		return withoutRepeats(named), nil
	}
	all, err := d.names()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range all {
		if checkCategory(name) == nil {
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
