//go:build unix

package sys

import (
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/trust"
)

// OpenBeneath opens the entry name of the directory dirfd the way every
// category file is opened, by IsActive, the writer, List and Check alike:
// never following a symbolic link, never blocking (a FIFO must not hang
// the caller), never becoming a controlling terminal. It returns the file
// and what fstat says of the descriptor, which is what the trust rules
// judge. The error is the system call's own (unix.ENOENT, unix.ELOOP, ...).
func OpenBeneath(dirfd int, dirPath, name string) (*os.File, unix.Stat_t, error) {
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

// ReadRules reads an opened category file, which fstat said is within the
// size limit, reading one byte past the limit so a file that grew since is
// caught: tooBig is then true and data nil.
func ReadRules(f *os.File) (data []byte, tooBig bool, err error) {
	data, err = io.ReadAll(io.LimitReader(f, trust.MaxFileSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(data) > trust.MaxFileSize {
		return nil, true, nil
	}
	return data, false, nil
}
