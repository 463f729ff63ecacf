//go:build unix

package live

import (
	"os"
	"strconv"
)

// selfUser is the user this process runs as: its effective uid.
func selfUser() (euid int, user string) { return os.Geteuid(), "" }

// DirName is the name of the directory, in the wrench directory, that
// holds the states of the processes of this user.
func DirName() string { return DirPrefix + strconv.Itoa(os.Geteuid()) }
