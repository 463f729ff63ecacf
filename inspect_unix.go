//go:build unix

package wrench

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"
)

// rulesDir is the wrench directory opened for the writer, List and Check.
// Everything beneath it is looked at relative to the descriptor, never by
// following a path again, so swapping the directory for a symbolic link
// midway changes nothing.
type rulesDir struct {
	path string
	fd   int
	own  ownership
}

// openRulesDir opens the wrench directory at path without following a
// symbolic link and without blocking. It returns an error satisfying
// os.IsNotExist when there is none, and a *notDirError when path is
// something other than a directory.
func openRulesDir(path string) (*rulesDir, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		var st unix.Stat_t
		if (err == unix.ELOOP || err == unix.ENOTDIR) && unix.Lstat(path, &st) == nil {
			return nil, &notDirError{path: path, kind: kindOf(uint32(st.Mode))}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return &rulesDir{path: path, fd: fd, own: ownershipOf(&st)}, nil
}

// close releases the directory's descriptor.
func (d *rulesDir) close() {
	unix.Close(d.fd)
}

// verdict says why IsActive in a process running as uid would refuse the
// directory, or "" when it would use it.
func (d *rulesDir) verdict(uid int) string {
	if reason := dirVerdict(d.own, uid); reason != "" {
		return reason
	}
	return accessVerdict(d.own, uid, 0o1, "searched")
}

// readerUID is the user whose IsActive the writer judges for: the
// directory's owner, the one user besides root whose processes trust it.
func (d *rulesDir) readerUID() int { return int(d.own.uid) }

// names lists the directory's entries.
func (d *rulesDir) names() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list %s", d.path)
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	return names, errors.Annotatef(err, "cannot list %s", d.path)
}

// fileState is one look at a category file: whether it exists, what fstat
// said about it, and its content when it is a regular file within the size
// limit.
type fileState struct {
	path       string
	exists     bool
	own        ownership
	content    []byte // nil unless read; empty for an empty file
	unreadable string // why content is nil when the file exists
}

// look examines the entry name in the directory. It never follows a
// symbolic link, never opens anything but a regular file, and opens that
// without blocking, so a FIFO or device at the path is described, not
// touched.
func (d *rulesDir) look(name string) (fileState, error) {
	fs := fileState{path: filepath.Join(d.path, name)}
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return fs, nil
		}
		return fs, errors.Annotatef(err, "cannot stat %s", fs.path)
	}
	fs.exists, fs.own = true, ownershipOf(&st)
	if fs.own.kind != kindRegular {
		fs.unreadable = fmt.Sprintf("is %s, not a regular file", fs.own.kind)
		return fs, nil
	}
	f, st, err := openBeneath(d.fd, d.path, name)
	switch {
	case err == unix.ENOENT:
		return fileState{path: fs.path}, nil // removed meanwhile
	case err == unix.ELOOP:
		fs.own.kind = kindSymlink
		fs.unreadable = fmt.Sprintf("is %s, not a regular file", kindSymlink)
		return fs, nil
	case err != nil:
		fs.unreadable = fmt.Sprintf("cannot be opened: %v", err)
		return fs, nil
	}
	defer f.Close()
	fs.own = ownershipOf(&st) // what was opened is what counts
	if fs.own.kind != kindRegular {
		fs.unreadable = fmt.Sprintf("is %s, not a regular file", fs.own.kind)
		return fs, nil
	}
	if fs.own.size > MaxFileSize {
		fs.unreadable = fmt.Sprintf("is %d bytes, over the %d byte limit", fs.own.size, MaxFileSize)
		return fs, nil
	}
	data, tooBig, err := readRules(f)
	switch {
	case err != nil:
		fs.unreadable = fmt.Sprintf("cannot be read: %v", err)
		return fs, nil
	case tooBig:
		fs.unreadable = grewReason
		return fs, nil
	}
	fs.content = data
	return fs, nil
}

// verdict says why IsActive in a process running as uid would refuse the
// file, or "" when it would read it (or there is no file).
func (fs *fileState) verdict(uid int) string {
	if !fs.exists {
		return ""
	}
	if reason := fileVerdict(fs.own, uid); reason != "" {
		return reason
	}
	if reason := accessVerdict(fs.own, uid, 0o4, "read"); reason != "" {
		return reason
	}
	return fs.unreadable
}

// accessVerdict says why uid could not read (bit 4) or search (bit 1) an
// object with these facts, or "". Root can always. Group membership is not
// looked up, so a grant to the group alone is reported as a problem that
// says so.
func accessVerdict(o ownership, uid int, bit uint32, what string) string {
	switch {
	case uid == rootUID:
		return ""
	case int64(o.uid) == int64(uid):
		if o.perm&(bit<<6) != 0 {
			return ""
		}
	case o.perm&bit != 0:
		return ""
	case o.perm&(bit<<3) != 0:
		return fmt.Sprintf("cannot be %s by uid %d unless it is in the file's group (mode %04o; check does not look up groups)", what, uid, o.perm)
	}
	return fmt.Sprintf("cannot be %s by uid %d (mode %04o, owner uid %d)", what, uid, o.perm, o.uid)
}

// checksOtherUsers is true: on unix, Check can judge for any uid, because
// the trust rules are about owners and mode bits.
const checksOtherUsers = true

// callerUID is the user this process writes and checks as: its effective
// uid, the one IsActive in this process would trust besides root.
func callerUID() int { return os.Geteuid() }
