//go:build windows

package store

import (
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// Lock takes the lock that serialises writers of the directory, in this
// process and every other: an exclusive LockFileEx on the first byte of
// its lock file, which is created when missing. unlock releases it.
//
// Windows has no uids, so the lock file is the plain LockName(-1), ".lock".
func (d *Dir) Lock() (unlock func(), err error) {
	path := filepath.Join(d.path, LockName(-1))
	h, err := openLock(path)
	if err != nil {
		return nil, err
	}
	ol := new(windows.Overlapped)
	err = acquire(path, func() (bool, error) {
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
		switch err {
		case nil:
			return true, nil
		case windows.ERROR_LOCK_VIOLATION, windows.ERROR_IO_PENDING:
			return false, nil
		default:
			return false, err
		}
	})
	if err != nil {
		windows.CloseHandle(h)
		return nil, err
	}
	return func() {
		windows.UnlockFileEx(h, 0, 1, 0, ol)
		windows.CloseHandle(h)
	}, nil
}

// openLock opens the lock file at path, creating it when missing, and
// returns its handle once it is fit to lock.
//
// The directory's owner can put any file under that name, and an
// administrator's writer must not be its tool: a reparse point (symbolic
// link, junction) is opened itself, never followed, and refused, as is a
// file with more than one link. The file is only opened for reading, which
// is all LockFileEx needs; nothing is written through it, and no
// attribute or security descriptor is ever set, so a file the writer did
// not create keeps its own and a new one inherits the directory's.
func openLock(path string) (windows.Handle, error) {
	ext, problem := sys.ExtendedPath(path)
	if problem != "" {
		return 0, errors.Errorf("cannot open lock file %s: %s", path, problem)
	}
	p, err := windows.UTF16PtrFromString(ext)
	if err != nil {
		return 0, errors.Annotatef(err, "cannot open lock file %s", path)
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, sys.ShareAll, nil, windows.OPEN_ALWAYS,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		// A directory, or a junction, cannot be opened as a file: say
		// what is there rather than just "access denied".
		if fi, lerr := os.Lstat(path); lerr == nil {
			if kind := trust.KindOfMode(fi.Mode()); kind != trust.KindRegular {
				return 0, refuseLock(path, trust.NotRegular(kind))
			}
		}
		return 0, errors.Annotatef(err, "cannot open lock file %s", path)
	}
	if err := checkLock(h, path); err != nil {
		windows.CloseHandle(h)
		return 0, err
	}
	return h, nil
}

// checkLock says why the lock file open as h must not be used, or nil.
func checkLock(h windows.Handle, path string) error {
	if t, err := windows.GetFileType(h); err != nil || t != windows.FILE_TYPE_DISK {
		return refuseLock(path, "is not a file on a disk")
	}
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		return errors.Annotatef(err, "cannot read the attributes of lock file %s", path)
	}
	switch {
	case info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0:
		return refuseLock(path, trust.NotRegular(trust.KindReparsePoint))
	case info.FileAttributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0:
		return refuseLock(path, trust.NotRegular(trust.KindDirectory))
	case info.NumberOfLinks != 1:
		return refuseLock(path, tooManyLinks(uint64(info.NumberOfLinks)))
	}
	return nil
}
