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

// MakeDir creates the wrench directory with mode 0755 when it is
// missing. The mode is set explicitly on the directory made, because a
// umask such as 077 would leave it unreadable to an agent running as
// another user. The data directory itself must exist: a mistyped --datadir
// is an error, not a new tree nothing reads.
//
// The directory is made and opened relative to one descriptor of the data
// directory, and its mode is set only when what was opened is a directory
// this process could just have made: owned by its user and empty. Whoever
// owns the data directory can swap another directory in between the two
// steps, and the writer never changes the mode of a directory it did not
// create.
func MakeDir(path string) error {
	dataDir, name := filepath.Dir(path), filepath.Base(path)
	dfd, err := unix.Open(dataDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	switch err {
	case nil:
	case unix.ENOENT:
		return errors.Annotatef(MissingDataDir(dataDir), "cannot create %s", path)
	case unix.ENOTDIR:
		return errors.Annotatef(NotDataDir(dataDir), "cannot create %s", path)
	default:
		return errors.Annotatef(err, "cannot create %s", path)
	}
	defer unix.Close(dfd)
	switch err := unix.Mkdirat(dfd, name, 0o755); err {
	case nil:
	case unix.EEXIST:
		return nil
	default:
		return errors.Annotatef(err, "cannot create %s", path)
	}
	if err := writeFault("made-dir"); err != nil {
		return err
	}
	fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return errors.Annotatef(err, "cannot open %s", path)
	}
	dir := os.NewFile(uintptr(fd), path)
	defer dir.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errors.Annotatef(err, "cannot stat %s", path)
	}
	if int64(st.Uid) != int64(os.Geteuid()) {
		return nil // not the one made here: the trust rules judge it
	}
	if names, _ := dir.Readdirnames(1); len(names) > 0 {
		return nil // not empty, so not the one made here
	}
	return errors.Annotatef(unix.Fchmod(fd, 0o755), "cannot set the mode of %s", path)
}

// Replace makes data the content of the file name in one step a reader
// cannot see half of: it writes a temporary file beside it with mode 0644,
// syncs it, renames it over name and syncs the directory. When it fails
// before the rename, the old file is untouched and the temporary file gone.
func (d *Dir) Replace(name string, data []byte) (err error) {
	path := filepath.Join(d.path, name)
	if err := writeFault("create"); err != nil {
		return errors.Annotatef(err, "cannot create a temporary file for %s", path)
	}
	tmp, fd, err := d.createTemp(name)
	if err != nil {
		return errors.Annotatef(err, "cannot create a temporary file for %s", path)
	}
	defer func() {
		if err != nil {
			unix.Unlinkat(d.fd, tmp, 0)
		}
	}()
	f := os.NewFile(uintptr(fd), filepath.Join(d.path, tmp))
	if err := writeSynced(f, data); err != nil {
		return errors.Annotatef(err, "cannot write %s", f.Name())
	}
	if err := writeFault("rename"); err != nil {
		return errors.Annotatef(err, "cannot rename %s to %s", tmp, path)
	}
	if err := unix.Renameat(d.fd, tmp, d.fd, name); err != nil {
		return errors.Annotatef(err, "cannot rename %s to %s", tmp, path)
	}
	return d.Sync()
}

// createTemp creates a new temporary file for name, mode 0644 whatever the
// umask.
func (d *Dir) createTemp(name string) (string, int, error) {
	for {
		tmp := TempName(name)
		fd, err := unix.Openat(d.fd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return "", -1, err
		}
		if err := unix.Fchmod(fd, 0o644); err != nil {
			unix.Close(fd)
			unix.Unlinkat(d.fd, tmp, 0)
			return "", -1, err
		}
		return tmp, fd, nil
	}
}

// Remove removes the entry name (a file, or whatever else is there that is
// not a directory) and reports whether there was one. A symbolic link is
// removed, not followed.
func (d *Dir) Remove(name string) (bool, error) {
	err := unix.Unlinkat(d.fd, name, 0)
	switch err {
	case nil:
		return true, nil
	case unix.ENOENT:
		return false, nil
	case unix.EISDIR, unix.EPERM:
		if d.IsDir(name) {
			return false, dirNotRemoved(filepath.Join(d.path, name))
		}
	}
	return false, errors.Annotatef(err, "cannot remove %s", filepath.Join(d.path, name))
}

// IsDir reports whether the entry name is a directory (not a symbolic
// link to one).
func (d *Dir) IsDir(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && sys.KindOf(uint32(st.Mode)) == trust.KindDirectory
}

// Sync makes the directory's entries durable: a rename or removal survives
// a crash once it returns.
func (d *Dir) Sync() error {
	return errors.Annotatef(unix.Fsync(d.fd), "cannot sync %s", d.path)
}
