package sys

import "golang.org/x/sys/unix"

// DirOpenFlags opens the wrench directory as a path only: the descriptor
// serves openat and fstat, opening it reads nothing, and it needs search
// permission only.
const DirOpenFlags = unix.O_PATH
