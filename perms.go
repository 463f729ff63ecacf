package wrench

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/store"
	"github.com/go-wrench/wrench/internal/trust"
)

// The trust policy itself, and every refusal phrase, live in
// internal/trust so that both platforms' rules are compiled and tested
// everywhere; internal/sys reduces what the system says to its facts.
// What stays here is what the package exports of it.

// MaxFileSize is the largest category file wrench reads. A larger file is
// refused as a whole: a rules file is a few lines, and a cap keeps a hostile
// or runaway file from costing the agent memory.
const MaxFileSize = 64 << 10

// The policy in internal/trust enforces the same limit.
var _ [MaxFileSize - trust.MaxFileSize]struct{}
var _ [trust.MaxFileSize - MaxFileSize]struct{}

// Report is what Check found: for the wrench directory, each category file
// and each of its lines, whether IsActive in a process running as UID
// would honour it, and if not, exactly why. A rule counts when its line,
// its file and the directory all have no problem.
type Report struct {
	// UID is the user checked for; -1 where the platform checks only for
	// the current user (Windows).
	UID int
	// Directory is the wrench directory.
	Directory DirectoryReport
	// Files are the category files looked at, in the order named or in
	// name order.
	Files []FileReport
}

// DirectoryReport is Check's verdict on the wrench directory.
type DirectoryReport struct {
	// Path is the wrench directory's path.
	Path string
	// Exists is false when there is no wrench directory: nothing is armed,
	// which is not a problem.
	Exists bool
	// Problem says why IsActive would ignore the directory and every file
	// in it; "" when it would not. That includes a directory above it that
	// the user cannot search, and the directory's own permission bits.
	Problem string
	// Unlisted says why Check could not list the directory to find its
	// files, when IsActive can still use it: IsActive only looks up the
	// categories it is asked for, which needs search permission, not read.
	// It is not a problem, but no file was checked; name the categories
	// to check them. "" when the directory was listed (or need not be).
	Unlisted string
}

// FileReport is Check's verdict on one category file.
type FileReport struct {
	// Category is the file's name: a category, or a name found in the
	// directory that is not one.
	Category string
	// Path is the file's path.
	Path string
	// Exists is false for a named category without a file, which is not a
	// problem.
	Exists bool
	// Problem says why IsActive would ignore the whole file; "" when it
	// would read it.
	Problem string
	// BOM is whether the file starts with a UTF-8 byte-order mark, which
	// IsActive skips: it is not part of the first feature's name, and not
	// a problem.
	BOM bool
	// Lines are the file's rule lines and the lines IsActive skips, in
	// file order; blank and comment lines are left out. They are there
	// whenever the file could be read, even if it is refused as a whole.
	Lines []LineReport
}

// LineReport is Check's verdict on one line of a category file.
type LineReport struct {
	// Line is the line's number, counting from 1.
	Line int
	// Text is the line as written, without its line ending.
	Text string
	// Feature and Trigger are the rule the line makes, in canonical form;
	// empty when the line does not count.
	Feature string
	Trigger string
	// Problem says why IsActive skips the line; "" when it is a rule.
	Problem string
	// Honoured is whether IsActive would honour the rule: the line is a
	// rule, and its file and the directory are trusted. A good line in a
	// refused file is not honoured, though it has no problem of its own.
	Honoured bool
}

// OK reports whether Check found nothing IsActive would ignore.
func (r *Report) OK() bool {
	return r.Problems() == 0
}

// Problems counts the directory, files and lines that have a problem.
func (r *Report) Problems() int {
	n := 0
	if r.Directory.Problem != "" {
		n++
	}
	for _, f := range r.Files {
		if f.Problem != "" {
			n++
		}
		for _, l := range f.Lines {
			if l.Problem != "" {
				n++
			}
		}
	}
	return n
}

// Check reports whether IsActive in a process running as the current
// (effective) user would honour the wrench directory, the files of the
// named categories (of every file in the directory when none is named) and
// their lines, and exactly why not. It opens the directory and the files
// as IsActive does and judges what it opened: on unix without following
// a symbolic link and without opening anything but a regular file; on
// Windows through the same handles IsActive uses, without following a
// reparse point. The error is for a bad category name; what Check finds on disk is
// in the Report.
func Check(categories ...string) (Report, error) {
	return check(store.CallerUID(), categories)
}

// CheckUser is Check for a process running as uid, which need not be the
// caller. Unix only: on Windows it returns an error.
//
// Beyond the rules IsActive applies, Check also reports what the kernel
// would refuse that process: a directory on the way to the wrench
// directory that uid cannot search (symbolic links followed as a lookup
// follows them), a wrench directory it cannot search, and a file it cannot
// read. Permission through a group counts the groups the user database
// gives uid (its primary group and the groups that list it), or this
// process's own groups when uid is the caller's. Where uid has no user
// entry its groups are unknown, and a grant through the group alone is
// reported as a problem that says so.
func CheckUser(uid int, categories ...string) (Report, error) {
	if !store.ChecksOtherUsers {
		return Report{}, errors.New("wrench.CheckUser: this platform checks only for the current user: use Check")
	}
	if uid < 0 {
		return Report{}, errors.Errorf("wrench.CheckUser: uid %d is negative", uid)
	}
	return check(uid, categories)
}

func check(uid int, categories []string) (Report, error) {
	if err := needDataDir(); err != nil {
		return Report{}, err
	}
	for _, name := range categories {
		if _, err := categoryFile(name); err != nil {
			return Report{}, err
		}
	}
	dir := wrenchDir(DataDir())
	who := store.ViewerOf(uid, uid == store.CallerUID())
	r := Report{UID: uid, Directory: DirectoryReport{Path: dir, Exists: true}}
	// Opened as IsActive opens it, so that a directory IsActive may use
	// but not list is still looked into.
	d, err := store.OpenToLook(dir)
	if err != nil {
		var notDir *store.NotDirError
		switch {
		case os.IsNotExist(err):
			r.Directory.Exists = false
		case errors.As(err, &notDir):
			r.Directory.Problem = trust.NotDirectory(notDir.Kind)
			return r, nil
		default:
			// Say which directory on the way is the reason, if one is.
			if r.Directory.Problem = who.ReachDir(dir); r.Directory.Problem == "" {
				r.Directory.Problem = trust.CannotOpen(pathErrorCause(err))
			}
			return r, nil
		}
		for _, name := range withoutRepeats(categories) {
			r.Files = append(r.Files, FileReport{Category: name, Path: filepath.Join(dir, name)})
		}
		return r, nil
	}
	defer d.Close()
	if r.Directory.Problem = who.ReachDir(dir); r.Directory.Problem == "" {
		r.Directory.Problem = d.VerdictFor(who)
	}

	names := withoutRepeats(categories)
	if len(names) == 0 {
		if names, err = d.Names(); err != nil {
			if errors.Is(err, fs.ErrPermission) && r.Directory.Problem == "" {
				// Check's own need, not IsActive's: not a problem.
				r.Directory.Unlisted = fmt.Sprintf("cannot be listed by this process: %v; name the categories to check them", errors.Cause(err))
				return r, nil
			}
			r.Directory.Problem = fmt.Sprintf("cannot be listed: %v", errors.Cause(err))
			return r, nil
		}
		sort.Strings(names)
	}
	for _, name := range names {
		if len(categories) == 0 && name[0] == '.' {
			continue // the writers' lock and temporary files, or hidden
		}
		r.Files = append(r.Files, checkFile(d, name, who, r.Directory.Problem != ""))
	}
	return r, nil
}

// checkFile gives the verdict on the entry name of the directory.
func checkFile(d *store.Dir, name string, who store.Viewer, dirRefused bool) FileReport {
	fr := FileReport{Category: name, Path: filepath.Join(d.Path(), name)}
	if err := rules.CheckCategory(name); err != nil {
		fr.Exists = true
		fr.Problem = fmt.Sprintf("is never read: %v", err)
		return fr
	}
	f, err := d.Look(name)
	if err != nil {
		fr.Exists = true
		fr.Problem = errors.Cause(err).Error()
		return fr
	}
	fr.Exists = f.Exists
	if !f.Exists {
		return fr
	}
	fr.Problem = f.VerdictFor(who)
	if fr.Problem == "" && dirRefused {
		fr.Problem = "is ignored with its directory"
	}
	if f.Content != nil {
		fr.BOM, _ = rules.Split(f.Content)
		fr.Lines = lineReports(f.Path, f.Content)
		for i := range fr.Lines {
			fr.Lines[i].Honoured = fr.Problem == "" && fr.Lines[i].Problem == ""
		}
	}
	return fr
}

// lineReports gives the verdict on each line of a file's content that is
// not blank or a comment, in line order.
func lineReports(path string, content []byte) []LineReport {
	pf := rules.ParseFile(path, content)
	_, lines := rules.Split(content) // as ParseFile does, so line 1's text is the rule's
	out := make([]LineReport, 0, len(pf.Rules)+len(pf.Problems))
	for _, r := range pf.Rules {
		out = append(out, LineReport{Line: r.Line, Text: lines[r.Line-1].Text, Feature: r.Feature, Trigger: r.Trigger})
	}
	for _, p := range pf.Problems {
		out = append(out, LineReport{Line: p.Line, Text: p.Text, Problem: p.Reason})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// pathErrorCause is what went wrong in err, without the path and operation
// an *os.PathError adds, for a message that names the path already.
func pathErrorCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
