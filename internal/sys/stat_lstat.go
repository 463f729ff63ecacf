//go:build unix && !(linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x))

package sys

import "golang.org/x/sys/unix"

// Lstatz stats pathz (NUL-terminated) without following a final symlink.
// Where stat_syscall.go's raw system call is not available it goes through
// unix.Lstat, which copies the path.
func Lstatz(pathz []byte, st *unix.Stat_t) unix.Errno {
	if err := unix.Lstat(string(pathz[:len(pathz)-1]), st); err != nil {
		if errno, ok := err.(unix.Errno); ok {
			return errno
		}
		return unix.EIO
	}
	return 0
}
