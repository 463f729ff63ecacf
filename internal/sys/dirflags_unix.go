//go:build unix && !linux

package sys

import "golang.org/x/sys/unix"

// DirOpenFlags opens the wrench directory for reading, where O_PATH does
// not exist: that needs read permission as well as search.
const DirOpenFlags = unix.O_RDONLY
