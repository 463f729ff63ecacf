//go:build unix

package live

import (
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// writeState writes data as dir/name in one step a reader cannot see half
// of: a temporary file, mode 0644, renamed over the old one. It makes dir
// 0755 when missing, and refuses one a reader would not trust. Everything
// after dir is opened is done relative to its descriptor, never following
// a symbolic link, so a directory swapped for a link meanwhile is not
// written through.
func writeState(dir, name string, data []byte) error {
	fd, err := openStateDir(dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	tmp := fmt.Sprintf(".%s.tmp-%08x", name, rand.Uint32())
	f, err := unix.Openat(fd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return errors.Annotatef(err, "cannot create a temporary file in %s", dir)
	}
	err = writeAll(f, data)
	if err == nil {
		err = unix.Fchmod(f, 0o644) // whatever the umask
	}
	if cerr := unix.Close(f); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(fd, tmp, fd, name)
	}
	if err != nil {
		unix.Unlinkat(fd, tmp, 0)
		return errors.Annotatef(err, "cannot write %s in %s", name, dir)
	}
	return nil
}

func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// openStateDir opens dir, making it 0755 (whatever the umask) when
// missing, and checks it is a directory a reader trusts for this user's
// states: owned by this user or root, and writable by nobody else.
func openStateDir(dir string) (int, error) {
	if err := unix.Mkdir(dir, 0o755); err == nil {
		if err := unix.Chmod(dir, 0o755); err != nil {
			return -1, errors.Annotatef(err, "cannot make %s mode 0755", dir)
		}
	} else if err != unix.EEXIST {
		return -1, &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	fd, st, err := sys.OpenDir(dir, false)
	if err == unix.ELOOP || err == unix.ENOTDIR {
		return -1, errors.Errorf("%s %s, so no reader would trust a state in it", dir, trust.NotDirectory(sys.KindOf(uint32(st.Mode))))
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if v := trust.DirVerdict(sys.OwnershipOf(&st), os.Geteuid()); v != "" {
		unix.Close(fd)
		return -1, errors.Errorf("%s %s, so no reader would trust a state in it", dir, v)
	}
	return fd, nil
}

// removeState removes dir/name, if it is there, never through a symbolic
// link.
func removeState(dir, name string) error {
	fd, _, err := sys.OpenDir(dir, false)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Unlinkat(fd, name, 0); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: dir + "/" + name, Err: err}
	}
	return nil
}

// remedy says how an operator gives this process a place to write its
// state.
func remedy(dir string) string {
	return fmt.Sprintf("as root: install -d -o %d -m 0755 %s", os.Geteuid(), dir)
}
