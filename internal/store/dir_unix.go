//go:build unix

package store

import (
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// Dir is the wrench directory opened for the writer, List and Check.
// Everything beneath it is looked at relative to the descriptor, never by
// following a path again, so swapping the directory for a symbolic link
// midway changes nothing.
type Dir struct {
	path string
	fd   int
	own  trust.Ownership
	gid  uint32
}

// Open opens the wrench directory at path with sys.OpenDir, for
// reading: the writer lists and syncs it. It returns an error satisfying
// os.IsNotExist when there is none, and a *NotDirError when path is
// something other than a directory.
func Open(path string) (*Dir, error) {
	return openDir(path, true)
}

// OpenToLook opens the wrench directory with sys.OpenDir as IsActive
// does: on Linux that needs search permission only, so Check and List can
// look at the files of a directory they may not list. Names then fails
// with a permission error.
func OpenToLook(path string) (*Dir, error) {
	return openDir(path, false)
}

func openDir(path string, read bool) (*Dir, error) {
	fd, st, err := sys.OpenDir(path, read)
	if err != nil {
		if (err == unix.ELOOP || err == unix.ENOTDIR) && st.Mode != 0 {
			return nil, &NotDirError{Path: path, Kind: sys.KindOf(uint32(st.Mode))}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &Dir{path: path, fd: fd, own: sys.OwnershipOf(&st), gid: st.Gid}, nil
}

// Close releases the directory's descriptor.
func (d *Dir) Close() {
	unix.Close(d.fd)
}

// Verdict says why IsActive in a process running as uid would refuse the
// directory, or "" when it would use it.
func (d *Dir) Verdict(uid int) string {
	return d.VerdictFor(ViewerOf(uid, false))
}

// dirOpenNeedsRead is whether IsActive's open of the wrench directory
// needs read permission: where there is no O_PATH it opens the directory
// for reading. Either way it needs search, to reach the files.
const dirOpenNeedsRead = sys.OpenDirNeedsRead

// VerdictFor says why IsActive in a process of v would refuse the
// directory, or "" when it would use it.
func (d *Dir) VerdictFor(v Viewer) string {
	return v.DirVerdict(d.own, d.gid, dirOpenNeedsRead)
}

// ReaderUID is the user whose IsActive the writer judges for: the
// directory's owner, the one user besides root whose processes trust it.
func (d *Dir) ReaderUID() int { return int(d.own.UID) }

// Names lists the directory's entries.
func (d *Dir) Names() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list %s", d.path)
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	return names, errors.Annotatef(err, "cannot list %s", d.path)
}

// File is one look at a category file: whether it exists, what fstat
// said about it, and its content when it is a regular file within the size
// limit.
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

	own trust.Ownership
	gid uint32
}

// Look examines the entry name in the directory. It never follows a
// symbolic link, never opens anything but a regular file, and opens that
// without blocking, so a FIFO or device at the path is described, not
// touched.
func (d *Dir) Look(name string) (File, error) {
	fs := File{Path: filepath.Join(d.path, name)}
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return fs, nil
		}
		return fs, errors.Annotatef(err, "cannot stat %s", fs.Path)
	}
	fs.Exists, fs.own, fs.gid = true, sys.OwnershipOf(&st), st.Gid
	if fs.own.Kind != trust.KindRegular {
		fs.Unreadable = trust.NotRegular(fs.own.Kind)
		return fs, nil
	}
	f, st, err := sys.OpenFile(d.fd, d.path, name)
	switch {
	case err == unix.ENOENT:
		return File{Path: fs.Path}, nil // removed meanwhile
	case err == unix.ELOOP:
		fs.own.Kind = trust.KindSymlink
		fs.Unreadable = trust.NotRegular(trust.KindSymlink)
		return fs, nil
	case err != nil:
		fs.Unreadable = trust.CannotOpen(err)
		return fs, nil
	}
	defer f.Close()
	fs.own, fs.gid = sys.OwnershipOf(&st), st.Gid // what was opened is what counts
	if fs.own.Kind != trust.KindRegular {
		fs.Unreadable = trust.NotRegular(fs.own.Kind)
		return fs, nil
	}
	if fs.own.Size > trust.MaxFileSize {
		fs.Unreadable = trust.TooBig(fs.own.Size)
		return fs, nil
	}
	data, tooBig, err := sys.ReadRules(f)
	switch {
	case err != nil:
		fs.Unreadable = trust.CannotRead(err)
		return fs, nil
	case tooBig:
		fs.Unreadable = trust.Grew
		return fs, nil
	}
	fs.Content = data
	return fs, nil
}

// Verdict says why IsActive in a process running as uid would refuse the
// file, or "" when it would read it (or there is no file).
func (fs *File) Verdict(uid int) string {
	return fs.VerdictFor(ViewerOf(uid, false))
}

// VerdictFor says why IsActive in a process of v would refuse the file,
// or "" when it would read it (or there is no file).
func (fs *File) VerdictFor(v Viewer) string {
	if !fs.Exists {
		return ""
	}
	if reason := v.FileVerdict(fs.own, fs.gid); reason != "" {
		return reason
	}
	return fs.Unreadable
}

// OwnerVerdict says why IsActive would refuse the file whoever it runs
// as, or "" when some process may read it (or there is no file): the
// trust rules for its owner's processes, which are the ones that trust
// it if any does (a root-owned file is root's too). What is left is what
// no owner makes right: its kind, its size, a mode that lets group or
// others write, or one its owner may not read. Whether this process
// could open it does not enter: that is no fact about the others.
func (fs *File) OwnerVerdict() string {
	if !fs.Exists {
		return ""
	}
	// The owner's access is the owner bits alone: no groups needed.
	return trust.Viewer{UID: int(fs.own.UID)}.FileVerdict(fs.own, fs.gid)
}

// Path is the wrench directory's path, as it was opened.
func (d *Dir) Path() string { return d.path }
