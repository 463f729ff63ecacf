//go:build unix && !linux

package sys

import "golang.org/x/sys/unix"

// dirOpenFlags opens the wrench directory for reading, where O_PATH does
// not exist: that needs read permission as well as search.
const dirOpenFlags = unix.O_RDONLY

// OpenDirNeedsRead is whether IsActive's open of the wrench directory
// (OpenDir without read) needs read permission as well as search.
const OpenDirNeedsRead = true
