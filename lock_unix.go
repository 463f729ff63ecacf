//go:build unix

package wrench

import (
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"
)

// lock takes the lock that serialises writers of the directory, in this
// process and every other: an exclusive flock on its lock file, which is
// created (mode 0644, so any user who may write the directory can open it)
// when missing. unlock releases it.
func (d *rulesDir) lock() (unlock func(), err error) {
	path := filepath.Join(d.path, lockName)
	fd, err := unix.Openat(d.fd, lockName, unix.O_RDONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot open lock file %s", path)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, errors.Annotatef(err, "cannot stat lock file %s", path)
	}
	if kind := kindOf(uint32(st.Mode)); kind != kindRegular {
		unix.Close(fd)
		return nil, errors.Errorf("lock file %s is %s, not a regular file", path, kind)
	}
	if int64(st.Uid) == int64(os.Geteuid()) && st.Mode&0o7777 != 0o644 {
		unix.Fchmod(fd, 0o644) // best effort: a umask may have narrowed it
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, errors.Annotatef(err, "cannot lock %s", path)
	}
	return func() { unix.Close(fd) }, nil // closing releases the lock
}
