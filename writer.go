package wrench

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/nowrench"
	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/store"
)

// The writer: what the wrench command does, as functions a Go test harness
// calls directly. Each acts on the wrench directory of DataDir() at the
// time of the call, and each goes through the same parser and trust rules
// as IsActive, so nothing is written that IsActive would skip or refuse.
//
// Every write takes the directory's lock (so concurrent writers, in this
// process or others, lose no update), writes a temporary file, syncs it
// and renames it over the category file: a reader sees the old file or
// the new, never half of one, and a write that fails leaves the old file
// as it was. On unix the file is mode 0644 and the directory is synced
// after the rename; on Windows the file inherits the directory's ACL and
// the directory is not synced (NTFS journals the rename). internal/store
// holds the mechanism.

// notCompiledIn is the error every writer returns in a nowrench build.
func notCompiledIn(op string) error {
	return errors.Errorf("wrench.%s: this program is built with the nowrench tag, which ignores every rule, so it writes none", op)
}

// featureTarget checks what a writer of one feature, op, is given and
// returns the category file's path.
func featureTarget(op, category, feature string) (string, error) {
	if nowrench.Tagged {
		return "", notCompiledIn(op)
	}
	path, err := categoryFile(category)
	if err != nil {
		return "", err
	}
	if err := rules.CheckFeature(feature); err != nil {
		return "", errors.Annotatef(err, "%s", path)
	}
	return path, nil
}

// Set arms feature in category with trigger, or with a bare feature line
// (always active) when trigger is "". The feature's line is replaced where
// it stands, keeping its comment; a new one goes at the end. Every other
// line is kept as written.
//
// Counts live in each reading process, per rule, and carry over a rewrite
// for every rule whose line (feature and trigger) is unchanged: setting
// one feature never restarts another's counts, and setting a spent rule to
// the very same trigger leaves it spent. To re-arm a spent rule, set a
// different trigger (even an equivalent one: "1*on" after "1*return"),
// or unset it and set it again once the process has read the file without
// it, or restart the process.
//
// A category, feature or trigger IsActive would refuse or skip is refused
// before anything is written, as is an existing file or directory IsActive
// would not trust, judged for the directory's owner, whose processes (with
// root's) are the ones reading it; Clear removes such a file. The wrench
// directory is created if missing (on unix mode 0755; on Windows with an
// ACL that gives full control to SYSTEM, Administrators and its owner and
// read to Users); the data directory must exist, for every writer.
func Set(category, feature, trigger string) error {
	if nowrench.Tagged {
		return notCompiledIn("Set")
	}
	path, err := categoryFile(category)
	if err != nil {
		return err
	}
	canonical, err := rules.RuleFor(feature, trigger)
	if err != nil {
		return errors.Annotatef(err, "%s", path)
	}
	return editCategory(category, store.EditOrCreate, func(old []byte) ([]byte, bool, error) {
		logger.Debugf("setting %s:%s to %q in %s", category, feature, canonical, path)
		data := rules.SetRule(old, feature, canonical)
		if err := rules.CheckSet(path, data, feature, canonical); err != nil {
			return nil, false, err
		}
		return data, true, nil
	})
}

// Unset removes feature's lines from category. A feature that is not
// there, or a category file or wrench directory that does not exist, is
// not an error, and then nothing is written; a data directory that does
// not exist is.
func Unset(category, feature string) error {
	path, err := featureTarget("Unset", category, feature)
	if err != nil {
		return err
	}
	return editCategory(category, store.EditExisting, func(old []byte) ([]byte, bool, error) {
		data, found := rules.UnsetRule(old, feature)
		if !found {
			return nil, false, nil
		}
		if err := rules.CheckUnset(path, data, feature); err != nil {
			return nil, false, err
		}
		logger.Debugf("unsetting %s:%s in %s", category, feature, path)
		return data, true, nil
	})
}

// Release lets n more calls pass feature's paused rule, and pauses the
// ones after. Calls paused now are evaluated afresh when the file changes:
// n of them, or of the calls that come next, go on (IsActive returns
// false), and the rest pause again.
//
// Releases add up: it writes "K*off->pause", K calls in all, adding n to
// the K of a rule already of that form (so two Release(c, f, 1) write
// "2*off->pause") and writing "n*off->pause" over any other. A process
// that reads the file throughout lets exactly the sum of the releases
// through, whether it read each rewrite or only the last; one that starts
// later reads K and lets K calls through. Setting the rule to "pause"
// starts the sum again from 0.
//
// It is an error when feature has no rule, its rule has no pause, or the
// sum would overflow.
func Release(category, feature string, n int) error {
	path, err := featureTarget("Release", category, feature)
	if err != nil {
		return err
	}
	return editCategory(category, store.EditExisting, func(old []byte) ([]byte, bool, error) {
		r, err := rules.CheckRelease(path, old, feature, n)
		if err != nil {
			return nil, false, err
		}
		trigger, err := rules.ReleaseTrigger(path, r, n)
		if err != nil {
			return nil, false, err
		}
		data := rules.SetRule(old, feature, trigger)
		if err := rules.CheckSet(path, data, feature, trigger); err != nil {
			return nil, false, err
		}
		logger.Debugf("releasing %d calls of %s:%s in %s", n, category, feature, path)
		return data, true, nil
	})
}

// Apply makes rules the whole content of category's file, after checking
// every line as IsActive would parse it. On any problem (a line that does
// not parse, a feature named twice, a file over MaxFileSize) nothing is
// written, and the error names the first problem as file:line. The old
// file need not be trusted: none of it is kept.
func Apply(category string, rules []byte) error {
	if nowrench.Tagged {
		return notCompiledIn("Apply")
	}
	path, err := categoryFile(category)
	if err != nil {
		return err
	}
	if len(rules) > MaxFileSize {
		return errors.Errorf("%s: %d bytes of rules, over the %d byte limit IsActive reads: nothing written", path, len(rules), MaxFileSize)
	}
	if err := checkApply(path, rules); err != nil {
		return err
	}
	return editCategory(category, store.ReplaceWhole, func([]byte) ([]byte, bool, error) {
		logger.Debugf("applying %d bytes of rules to %s", len(rules), path)
		return rules, true, nil
	})
}

// Clear removes the files of the named categories, or of every category
// when none is named, whether or not IsActive would trust them. Removing a
// file that is not there is not an error. Clearing every category also
// removes temporary files a writer that crashed left behind.
//
// An entry it cannot remove (a directory where a category file would be,
// say) does not stop it: it removes every other one it can, then returns
// an error naming every entry it could not, so a failed Clear never leaves
// some categories armed only because they came later.
func Clear(categories ...string) error {
	if nowrench.Tagged {
		return notCompiledIn("Clear")
	}
	for _, name := range categories {
		if _, err := categoryFile(name); err != nil {
			return err
		}
	}
	dir := wrenchDir(DataDir())
	d, err := store.Open(dir)
	if err != nil {
		if err := needDataDir(); err != nil {
			return err
		}
	}
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Annotatef(err, "cannot clear")
	}
	defer d.Close()
	unlock, err := d.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	names := categories
	if len(names) == 0 {
		all, err := d.Names()
		if err != nil {
			return err
		}
		for _, name := range all {
			if rules.CheckCategory(name) == nil || store.IsTempName(name) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
	}
	var failed []error
	removed := false
	for _, name := range names {
		gone, err := d.Remove(name)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if gone {
			logger.Debugf("removed %s", filepath.Join(dir, name))
		}
		removed = removed || gone
	}
	if removed {
		if err := d.Sync(); err != nil {
			failed = append(failed, err)
		}
	}
	return clearError(failed)
}

// clearError is one error naming every entry Clear could not remove, or
// nil when there were none.
func clearError(failed []error) error {
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return failed[0]
	}
	msgs := make([]string, len(failed))
	for i, err := range failed {
		msgs[i] = err.Error()
	}
	return errors.Errorf("%d entries not cleared: %s", len(failed), strings.Join(msgs, "; "))
}

// needDataDir says that the data directory does not exist, or is not a
// directory: see store.NeedDataDir.
func needDataDir() error { return store.NeedDataDir(DataDir()) }

// categoryFile is the path of category's file in the wrench directory of
// DataDir(), or why category is not a name IsActive would read.
func categoryFile(category string) (string, error) {
	dir := wrenchDir(DataDir())
	if err := rules.CheckCategory(category); err != nil {
		return "", errors.Annotatef(err, "%s", dir)
	}
	return filepath.Join(dir, category), nil
}

// checkApply says why data may not be a category file's whole content,
// naming its first problem, or nil.
func checkApply(path string, data []byte) error {
	if pf := rules.ParseFile(path, data); len(pf.Problems) > 0 {
		return problemsError(pf.Problems)
	}
	return nil
}

// problemsError reports the first problem of a file's lines, and how many
// more there are, on one line.
func problemsError(problems []rules.Problem) error {
	if more := len(problems) - 1; more > 0 {
		return errors.Errorf("%v (and %d more %s): nothing written", problems[0], more, plural(more, "problem", "problems"))
	}
	return errors.Errorf("%v: nothing written", problems[0])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// editCategory runs store.Edit, the one path every write of a category
// file takes, on category's file in the wrench directory of DataDir().
func editCategory(category string, mode store.EditMode, change store.Change) error {
	dataDir := DataDir()
	return store.Edit(dataDir, wrenchDir(dataDir), category, mode, change)
}
