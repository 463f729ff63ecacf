//go:build linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x)

package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// atFDCWD is AT_FDCWD as a variable, so it converts to uintptr.
var atFDCWD = unix.AT_FDCWD

// Lstatz stats pathz (NUL-terminated) without following a final symlink.
// Unlike unix.Lstat it takes the path ready-made, so it allocates nothing:
// it is the one system call IsActive makes when there is no file, and it
// is small enough to be inlined into its callers.
func Lstatz(pathz []byte, st *unix.Stat_t) unix.Errno {
	_, _, errno := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(atFDCWD),
		uintptr(unsafe.Pointer(&pathz[0])), uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	return errno
}
