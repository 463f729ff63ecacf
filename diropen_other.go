//go:build unix && !linux

package wrench

import "golang.org/x/sys/unix"

// dirOpenFlags opens the wrench directory for reading where O_PATH does not
// exist.
const dirOpenFlags = unix.O_RDONLY
