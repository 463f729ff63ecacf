//go:build unix

package sys

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// OpenDir opens the wrench directory at path the way IsActive, the
// writer, List and Check all open it: never following a symbolic link,
// never blocking, and only if it is a directory. With read it is opened
// for reading, which listing and syncing need; without, it is opened as
// IsActive opens it, which on Linux needs search permission only (see
// OpenDirNeedsRead). It returns the descriptor and what fstat says of it.
//
// On failure the error is the system call's own (unix.ENOENT, unix.ELOOP,
// unix.ENOTDIR, ...), and unless it is unix.ENOENT, st is what lstat says
// is at path (zero when lstat cannot say), so the caller can name what
// is there instead of a directory.
func OpenDir(path string, read bool) (fd int, st unix.Stat_t, err error) {
	flags := dirOpenFlags
	if read {
		flags = unix.O_RDONLY
	}
	fd, err = unix.Open(path, flags|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err != unix.ENOENT && unix.Lstat(path, &st) != nil {
			st = unix.Stat_t{}
		}
		return -1, st, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, unix.Stat_t{}, err
	}
	return fd, st, nil
}

// OpenFile opens the entry name of the directory dirfd (from OpenDir, at
// dirPath) the way every category file is opened, by IsActive, the
// writer, List and Check alike: never following a symbolic link, never
// blocking (a FIFO must not hang the caller), never becoming a controlling
// terminal. It returns the file and what fstat says of the descriptor,
// which is what the trust rules judge. The error is the system call's own
// (unix.ENOENT, unix.ELOOP, ...).
func OpenFile(dirfd int, dirPath, name string) (*os.File, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, st, err
	}
	f := os.NewFile(uintptr(fd), filepath.Join(dirPath, name))
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, st, err
	}
	return f, st, nil
}

// ReadRules reads a category file opened with OpenFile, which fstat said
// is within trust.MaxFileSize, reading one byte past the limit so a file
// that grew since is caught: tooBig is then true and data nil.
func ReadRules(f *os.File) (data []byte, tooBig bool, err error) {
	return readRules(f)
}
