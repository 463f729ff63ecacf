//go:build windows

package store

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// Dir is the wrench directory opened for the writer, List and Check: a
// handle opened and inspected by sys.OpenDir, as IsActive opens it, so
// the directory judged is the one files are looked at beneath, whatever
// is renamed or swapped in at its path meanwhile.
type Dir struct {
	path string
	h    windows.Handle
	st   sys.HandleState // what the handle said when it was opened
}

// Open opens the wrench directory at path as IsActive does, without
// following a reparse point. It returns an error satisfying
// os.IsNotExist when there is none, and a *NotDirError when path is
// something other than a directory.
func Open(path string) (*Dir, error) {
	p, problem := sys.DirPath(path)
	if problem != "" {
		return nil, &os.PathError{Op: "open", Path: path, Err: errors.New(problem)}
	}
	h, st, err := sys.OpenDir(p)
	if sys.IsNotExist(err) {
		return nil, &os.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if kind := st.Key.Kind(); kind != trust.KindDirectory {
		windows.CloseHandle(h)
		return nil, &NotDirError{Path: path, Kind: kind}
	}
	return &Dir{path: path, h: h, st: st}, nil
}

// OpenToLook is Open: IsActive opens the directory the same way for
// every purpose.
func OpenToLook(path string) (*Dir, error) {
	return Open(path)
}

// Close releases the directory's handle.
func (d *Dir) Close() {
	windows.CloseHandle(d.h)
}

// Verdict says why IsActive in a process running as the current user
// would refuse the directory, or "" when it would use it: the verdict
// IsActive gives on the same facts. uid is ignored.
func (d *Dir) Verdict(uid int) string {
	return d.st.Verdict(true, currentUser())
}

// VerdictFor is Verdict: Windows verdicts are for the current user.
func (d *Dir) VerdictFor(v Viewer) string { return d.Verdict(-1) }

// ReaderUID is -1: Windows verdicts are for the current user.
func (d *Dir) ReaderUID() int { return -1 }

// Names lists the directory's entries. It goes by the directory's path.
func (d *Dir) Names() ([]string, error) {
	des, err := os.ReadDir(d.path)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list %s", d.path)
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names, nil
}

// File is one look at a category file: whether it exists, whether the
// current user's IsActive would trust it, and its content when it is a
// regular file within the size limit.
type File struct {
	// Path is the category file's path: the directory's path and the
	// name looked at.
	Path string
	// Exists is whether anything is at that name (of any kind); false
	// means there is no file, which nothing refuses.
	Exists bool
	// Content is the file's content: nil unless it was read, empty for
	// an empty file.
	Content []byte
	// Unreadable says why Content is nil when the file exists.
	Unreadable string

	reason string // the trust rules' refusal, "" when trusted
}

// Look examines the entry name in the directory as IsActive does: it
// opens it beneath the directory's handle with sys.OpenFile, never
// following a reparse point, judges what the handle says, and reads a
// regular file within the size limit through that same handle.
func (d *Dir) Look(name string) (File, error) {
	f := File{Path: filepath.Join(d.path, name)}
	nt := sys.NTString(name)
	h, st, err := sys.OpenFile(d.h, &nt)
	switch {
	case sys.IsNotExist(err):
		return f, nil
	case err != nil:
		f.Exists = true
		f.Unreadable = trust.CannotOpen(err)
		return f, nil
	}
	defer windows.CloseHandle(h)
	f.Exists = true
	f.reason = st.Verdict(false, currentUser())
	// A refused file is read all the same, as on unix: Check shows its
	// lines, and says the file is refused.
	switch kind := st.Key.Kind(); {
	case kind != trust.KindRegular:
		f.Unreadable = trust.NotRegular(kind)
		return f, nil
	case st.Key.Size() > trust.MaxFileSize:
		f.Unreadable = trust.TooBig(st.Key.Size())
		return f, nil
	}
	data, tooBig, err := sys.ReadRules(h)
	switch {
	case err != nil:
		f.Unreadable = trust.CannotRead(err)
	case tooBig:
		f.Unreadable = trust.Grew
	default:
		f.Content = data
	}
	return f, nil
}

// Verdict says why IsActive in a process running as the current user
// would refuse the file, or "" when it would read it (or there is no
// file). uid is ignored.
func (f *File) Verdict(uid int) string {
	switch {
	case !f.Exists:
		return ""
	case f.reason != "":
		return f.reason
	}
	return f.Unreadable
}

// VerdictFor is Verdict: Windows verdicts are for the current user.
func (f *File) VerdictFor(v Viewer) string { return f.Verdict(-1) }

// OwnerVerdict says why IsActive would refuse the file, or "" when it
// would read it (or there is no file): on Windows the trust rules for
// the current user, whose processes are the ones a status reads.
func (f *File) OwnerVerdict() string {
	if !f.Exists {
		return ""
	}
	return f.reason
}

// currentUser is the SID of the user the verdicts are for; "" when the
// process token does not say, which trusts only SYSTEM and
// Administrators, as IsActive then does.
func currentUser() string {
	u, _ := sys.CurrentUser()
	return u
}

// Path is the wrench directory's path, as it was opened.
func (d *Dir) Path() string { return d.path }
