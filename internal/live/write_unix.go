//go:build unix

package live

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// writeState writes data as wrenchDir/sub/name in one step a reader
// cannot see half of: a temporary file, mode 0644, renamed over the old
// one. It makes sub 0755 when missing, and refuses a wrench directory or
// sub a reader would not trust. The wrench directory is opened without
// following a symbolic link and judged as IsActive judges it for this
// user, and everything after is done relative to descriptors, never
// following a link: a root process whose wrench directory is replaced by
// a link (by whoever owns the data directory) writes nothing, and changes
// the mode of nothing, where the link points.
func writeState(wrenchDir, sub, name string, data []byte) error {
	fd, err := openStateDir(wrenchDir, sub)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	dir := filepath.Join(wrenchDir, sub)
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

// openStateDir opens sub in the wrench directory, making it 0755
// (whatever the umask) when missing, and checks that both are
// directories a reader trusts for this user's states: owned by this user
// or root, and writable by nobody else. The mode is set on the
// descriptor of the directory this call made, never by path, so nothing
// swapped in at the path meanwhile has its mode changed.
func openStateDir(wrenchDir, sub string) (int, error) {
	wfd, err := openWrenchDir(wrenchDir)
	if err != nil {
		return -1, err
	}
	defer unix.Close(wfd)
	dir := filepath.Join(wrenchDir, sub)
	created := false
	if err := unix.Mkdirat(wfd, sub, 0o755); err == nil {
		created = true
	} else if err != unix.EEXIST {
		return -1, &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	fd, err := unix.Openat(wfd, sub, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == unix.ELOOP || err == unix.ENOTDIR {
		var st unix.Stat_t
		kind := trust.KindOther
		if unix.Fstatat(wfd, sub, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			kind = sys.KindOf(uint32(st.Mode))
		}
		return -1, errors.Errorf("%s %s, so no reader would trust a state in it", dir, trust.NotDirectory(kind))
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if created {
		if err := unix.Fchmod(fd, 0o755); err != nil {
			unix.Close(fd)
			return -1, errors.Annotatef(err, "cannot make %s mode 0755", dir)
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "stat", Path: dir, Err: err}
	}
	if v := trust.DirVerdict(sys.OwnershipOf(&st), os.Geteuid()); v != "" {
		unix.Close(fd)
		return -1, errors.Errorf("%s %s, so no reader would trust a state in it", dir, v)
	}
	return fd, nil
}

// openWrenchDir opens the wrench directory as IsActive does, never
// following a symbolic link, and checks that IsActive in this process
// would trust it: a process publishes only where it would read rules.
// The descriptor is good for the *at calls beneath it only.
func openWrenchDir(wrenchDir string) (int, error) {
	fd, st, err := sys.OpenDir(wrenchDir, false)
	if err == unix.ELOOP || err == unix.ENOTDIR {
		return -1, &untrustedWrenchDir{fmt.Sprintf("the wrench directory %s %s, so no state is written in it", wrenchDir, trust.NotDirectory(sys.KindOf(uint32(st.Mode))))}
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: wrenchDir, Err: err}
	}
	if v := trust.DirVerdict(sys.OwnershipOf(&st), os.Geteuid()); v != "" {
		unix.Close(fd)
		return -1, &untrustedWrenchDir{fmt.Sprintf("the wrench directory %s %s, so no state is written in it", wrenchDir, v)}
	}
	return fd, nil
}

// removeState removes wrenchDir/sub/name, if it is there, never through
// a symbolic link.
func removeState(wrenchDir, sub, name string) error {
	wfd, _, err := sys.OpenDir(wrenchDir, false)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: wrenchDir, Err: err}
	}
	defer unix.Close(wfd)
	dir := filepath.Join(wrenchDir, sub)
	fd, err := unix.Openat(wfd, sub, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Unlinkat(fd, name, 0); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: filepath.Join(dir, name), Err: err}
	}
	return nil
}

// remedy says how an operator gives this process a place to write its
// state.
func remedy(dir string) string {
	return fmt.Sprintf("as root: install -d -o %d -m 0755 %s", os.Geteuid(), dir)
}
