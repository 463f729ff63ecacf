package wrench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/nowrench"
	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/trust"
)

// The writer: what the wrench command does, as functions a Go test harness
// calls directly. Each acts on the wrench directory of DataDir() at the
// time of the call, and each goes through the same parser and trust rules
// as IsActive, so nothing is written that IsActive would skip or refuse.
//
// Every write takes the directory's lock (so concurrent writers, in this
// process or others, lose no update), writes a temporary file with mode
// 0644, syncs it, renames it over the category file and syncs the
// directory: a reader sees the old file or the new, never half of one, and
// a write that fails leaves the old file as it was.

// lockPrefix begins the name of the lock file writers serialise on. Like
// the temporary files, it starts with "." so it can never be a category.
const lockPrefix = ".lock"

// lockName is the lock file's name in a wrench directory owned by uid, as
// in ".lock-1001". The owner is in the name so that a chown of the
// directory gives its new owner a fresh lock: a lock an old owner (root,
// say) left behind can never lock the new one out, and is only litter.
// Writers that opened the directory before a chown and those that open it
// after use different locks until the former finish. A negative uid (on
// Windows, which has no uids) gives the plain lockPrefix.
func lockName(uid int64) string {
	if uid < 0 {
		return lockPrefix
	}
	return fmt.Sprintf("%s-%d", lockPrefix, uid)
}

// tempPrefix begins every temporary file's name: "." and then the
// category, so a leftover one says whose it was.
const tempPrefix = "."

// tempMarker follows the category in a temporary file's name.
const tempMarker = ".tmp-"

// tempName is a fresh temporary name for a new version of category.
func tempName(category string) string {
	return fmt.Sprintf("%s%s%s%d-%08x", tempPrefix, category, tempMarker, os.Getpid(), rand.Uint32())
}

// isTempName reports whether name is one a writer gives its temporary
// files.
func isTempName(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.Contains(name, tempMarker)
}

// writeFault lets tests make a step of a write fail ("create" the
// temporary file, "rename" it over the old one).
var writeFault = func(step string) error { return nil }

// writeSynced writes data to f, syncs and closes it.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// notDirError says that the wrench directory's path is something else.
type notDirError struct {
	path string
	kind trust.Kind
}

func (e *notDirError) Error() string {
	return e.path + " " + trust.NotDirectory(e.kind)
}

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
// directory is created, mode 0755, if missing; the data directory must
// exist, for every writer.
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
	return editCategory(category, editOrCreate, func(old []byte) ([]byte, bool, error) {
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
	return editCategory(category, editExisting, func(old []byte) ([]byte, bool, error) {
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
	return editCategory(category, editExisting, func(old []byte) ([]byte, bool, error) {
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
	return editCategory(category, replaceWhole, func([]byte) ([]byte, bool, error) {
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
	d, err := openRulesDir(dir)
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
	defer d.close()
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	names := categories
	if len(names) == 0 {
		all, err := d.names()
		if err != nil {
			return err
		}
		for _, name := range all {
			if rules.CheckCategory(name) == nil || isTempName(name) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
	}
	var failed []error
	removed := false
	for _, name := range names {
		gone, err := d.remove(name)
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
		if err := d.sync(); err != nil {
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

// dirNotRemoved is the error for a directory where a category file would
// be: Clear removes files, never a directory and what it holds.
func dirNotRemoved(path string) error {
	return errors.Errorf("cannot remove %s: it is a directory, not a category file (remove it by hand)", path)
}

// needDataDir says that the data directory does not exist, or is not a
// directory; nil when it is there, or cannot be looked at (the operation
// itself then says why). Every operation that finds no wrench directory
// asks it, so a mistyped data directory is an error, never "nothing is
// armed".
func needDataDir() error {
	dataDir := DataDir()
	fi, err := os.Stat(dataDir)
	switch {
	case os.IsNotExist(err):
		return missingDataDir(dataDir)
	case err == nil && !fi.IsDir():
		return errors.Errorf("data directory %s is not a directory", dataDir)
	}
	return nil
}

// missingDataDir is the error for a data directory that does not exist.
func missingDataDir(dataDir string) error {
	return errors.Errorf("data directory %s does not exist", dataDir)
}

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

// runningAs names the user an IsActive verdict is for, as in "IsActive
// running as uid 0".
func runningAs(uid int) string {
	if uid < 0 {
		return "running as this user"
	}
	return fmt.Sprintf("running as uid %d", uid)
}

// editMode says what an edit may find and do.
type editMode int

const (
	// editExisting edits a file that may be missing, and then has no
	// rules; the edit must not want to write it (Unset, Release).
	editExisting editMode = iota
	// editOrCreate edits a file, creating it and the wrench directory
	// when missing (Set).
	editOrCreate
	// replaceWhole writes a file keeping nothing of the old one, which
	// therefore need not be trusted (Apply).
	replaceWhole
)

// editCategory is the one path every write of a category file takes. Under
// the directory's lock it reads the file, refuses one that IsActive would
// not trust (its lines would be laundered into a trusted file), lets change
// compute the new content from the old, and writes that if change says to.
//
// "IsActive" here is IsActive in the processes that read the directory:
// those running as its owner, or as anyone when root owns it. So the
// directory and file are judged as its owner's IsActive would judge them.
// Root may then arm an agent whose data directory its own user owns, and
// a file of any other user in root's directory is refused.
func editCategory(category string, mode editMode, change func(old []byte) (data []byte, write bool, err error)) error {
	dir := wrenchDir(DataDir())
	path := filepath.Join(dir, category)
	if mode != editExisting {
		if err := makeRulesDir(dir); err != nil {
			return err
		}
	}
	d, err := openRulesDir(dir)
	if err != nil {
		if err := needDataDir(); err != nil {
			return err
		}
	}
	if os.IsNotExist(err) && mode == editExisting {
		_, _, err := change(nil)
		return err
	}
	if err != nil {
		return errors.Annotatef(err, "refusing to write %s", path)
	}
	defer d.close()
	reader := d.readerUID()
	if reason := d.verdict(reader); reason != "" {
		return errors.Errorf("refusing to write %s: the wrench directory %s %s, so IsActive %s would ignore it", path, dir, reason, runningAs(reader))
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	old, err := d.look(category)
	if err != nil {
		return err
	}
	if reason := old.verdict(reader); reason != "" && mode != replaceWhole {
		// Name only a remedy that works: clear removes anything but a
		// directory.
		hint := "wrench clear removes it"
		if d.isDir(category) {
			hint = "remove the directory by hand"
		}
		return errors.Errorf("%s %s, so IsActive %s would not trust it: refusing to edit it (%s)", path, reason, runningAs(reader), hint)
	}
	data, write, err := change(old.content)
	if err != nil || !write {
		return err
	}
	if len(data) > MaxFileSize {
		return errors.Errorf("%s would be %d bytes, over the %d byte limit IsActive reads: nothing written", path, len(data), MaxFileSize)
	}
	return d.replace(category, data)
}
