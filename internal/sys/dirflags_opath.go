//go:build linux

package sys

import "golang.org/x/sys/unix"

// dirOpenFlags opens the wrench directory as a path only: the descriptor
// serves openat and fstat, opening it reads nothing, and it needs search
// permission only.
const dirOpenFlags = unix.O_PATH

// OpenDirNeedsRead is whether IsActive's open of the wrench directory
// (OpenDir without read) needs read permission as well as search.
const OpenDirNeedsRead = false
