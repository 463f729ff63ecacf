package wrench

import "golang.org/x/sys/unix"

// dirOpenFlags opens the wrench directory as a path only: the descriptor
// serves openat and fstat, and opening it reads nothing.
const dirOpenFlags = unix.O_PATH
