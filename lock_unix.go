//go:build unix

package wrench

import (
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"
)

// lock takes the lock that serialises writers of the directory, in this
// process and every other: an exclusive flock on its lock file. unlock
// releases it.
//
// The lock file is mode 0600 and owned by the directory's owner: the only
// users who may write the directory (its owner and root) are the only ones
// who can open it, so no other user can hold the lock and stall them.
func (d *rulesDir) lock() (unlock func(), err error) {
	path := filepath.Join(d.path, lockName)
	fd, err := unix.Openat(d.fd, lockName, unix.O_RDONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot open lock file %s", path)
	}
	if err := d.ownLockFile(fd, path); err != nil {
		unix.Close(fd)
		return nil, err
	}
	err = acquire(path, func() (bool, error) {
		switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err {
		case nil:
			return true, nil
		case unix.EWOULDBLOCK, unix.EINTR:
			return false, nil
		default:
			return false, err
		}
	})
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return func() { unix.Close(fd) }, nil // closing releases the lock
}

// ownLockFile checks the lock file is a regular file and gives it to the
// directory's owner with mode 0600, as far as this process may.
func (d *rulesDir) ownLockFile(fd int, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errors.Annotatef(err, "cannot stat lock file %s", path)
	}
	if kind := kindOf(uint32(st.Mode)); kind != kindRegular {
		return errors.Errorf("lock file %s is %s, not a regular file", path, kind)
	}
	euid := os.Geteuid()
	if euid == rootUID && st.Uid != d.own.uid {
		if err := unix.Fchown(fd, int(d.own.uid), -1); err != nil {
			return errors.Annotatef(err, "cannot give lock file %s to uid %d", path, d.own.uid)
		}
	}
	if (euid == rootUID || int64(st.Uid) == int64(euid)) && st.Mode&0o7777 != 0o600 {
		// Best effort: an older lock file, or a umask, may have left
		// another mode; only its owner or root can change it.
		unix.Fchmod(fd, 0o600)
	}
	return nil
}
