//go:build windows

package wrench

import (
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"
)

// lock takes the lock that serialises writers of the directory, in this
// process and every other: an exclusive LockFileEx on the first byte of
// its lock file, which is created when missing. unlock releases it.
func (d *rulesDir) lock() (unlock func(), err error) {
	path := filepath.Join(d.path, lockName(-1)) // Windows has no uids: ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot open lock file %s", path)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.Errorf("lock file %s is not a regular file", path)
	}
	h := windows.Handle(f.Fd())
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
		f.Close()
		return nil, err
	}
	return func() {
		windows.UnlockFileEx(h, 0, 1, 0, ol)
		f.Close()
	}, nil
}
