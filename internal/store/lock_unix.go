//go:build unix

package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// lockOpenTries bounds how often lock looks for the lock file again when
// it vanishes or appears between two looks: only the directory's owner or
// root can make that happen, and a few rounds settle any honest race.
const lockOpenTries = 100

// Lock takes the lock that serialises writers of the directory, in this
// process and every other: an exclusive flock on its lock file. unlock
// releases it.
//
// The lock file, named for the directory's owner (LockName), is mode 0600
// and owned by that owner: the only users who may write the directory (its
// owner and root) are the only ones who can open it, so no other user can
// hold the lock and stall them.
//
// The directory's owner can put any file under that name, and root's
// writer must not be its tool: an existing lock file is opened without
// following a symbolic link, only read, never written, chowned or chmodded,
// and refused unless it is a regular file with one link, owned by the
// directory's owner and closed to everyone else. Only a file this call
// created is given to the owner and set to 0600.
func (d *Dir) Lock() (unlock func(), err error) {
	name := LockName(int64(d.own.UID))
	path := filepath.Join(d.path, name)
	fd, err := d.openLock(name, path)
	if err != nil {
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

// openLock opens the lock file name, creating it when missing, and
// returns its descriptor once it is fit to lock.
func (d *Dir) openLock(name, path string) (int, error) {
	const how = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	for range lockOpenTries {
		// Open what is there first, without O_CREAT: O_CREAT alone
		// would not say whether this call made the file, and only a
		// file it made may be chowned or chmodded.
		fd, err := unix.Openat(d.fd, name, how, 0)
		if err == nil {
			if err := d.checkLock(fd, path); err != nil {
				unix.Close(fd)
				return -1, err
			}
			return fd, nil
		}
		if err != unix.ENOENT {
			return -1, d.lockOpenError(name, path, err)
		}
		fd, err = unix.Openat(d.fd, name, how|unix.O_CREAT|unix.O_EXCL, 0o600)
		if err == unix.EEXIST {
			continue // another writer made it first: use theirs
		}
		if err != nil {
			return -1, d.lockOpenError(name, path, err)
		}
		if err := d.ownNewLock(fd, path); err != nil {
			unix.Close(fd)
			return -1, err
		}
		return fd, nil
	}
	return -1, errors.Errorf("cannot open lock file %s: it keeps appearing and vanishing", path)
}

// lockOpenError says why the lock file could not be opened or created,
// naming a symbolic link as such: O_NOFOLLOW's error for one differs from
// system to system (ELOOP, EMLINK, EFTYPE).
func (d *Dir) lockOpenError(name, path string, err error) error {
	var st unix.Stat_t
	if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && sys.KindOf(uint32(st.Mode)) == trust.KindSymlink {
		return refuseLock(path, trust.NotRegular(trust.KindSymlink))
	}
	return errors.Annotatef(err, "cannot open lock file %s", path)
}

// checkLock says why a lock file this call did not create must not be
// used, or nil. It changes nothing about the file.
func (d *Dir) checkLock(fd int, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errors.Annotatef(err, "cannot stat lock file %s", path)
	}
	if kind := sys.KindOf(uint32(st.Mode)); kind != trust.KindRegular {
		return refuseLock(path, trust.NotRegular(kind))
	}
	if st.Nlink != 1 {
		return refuseLock(path, tooManyLinks(uint64(st.Nlink)))
	}
	if st.Uid != d.own.UID {
		return refuseLock(path, fmt.Sprintf("is owned by uid %d, not by the wrench directory's owner (uid %d)", st.Uid, d.own.UID))
	}
	if perm := uint32(st.Mode) & 0o777; perm&0o077 != 0 {
		// Whoever can open it can hold the lock and stall every writer.
		return refuseLock(path, fmt.Sprintf("is open to users other than its owner (mode %04o, not 0600)", perm))
	}
	return nil
}

// ownNewLock gives the lock file this call just created to the directory's
// owner with mode 0600 whatever the umask. Root creates it for an owner
// that is another user; anyone else creates it as its owner already.
func (d *Dir) ownNewLock(fd int, path string) error {
	if os.Geteuid() == trust.RootUID {
		if err := unix.Fchown(fd, int(d.own.UID), -1); err != nil {
			return errors.Annotatef(err, "cannot give lock file %s to uid %d", path, d.own.UID)
		}
	}
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return errors.Annotatef(err, "cannot make lock file %s mode 0600", path)
	}
	return nil
}
