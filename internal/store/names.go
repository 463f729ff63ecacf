package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// lockPrefix begins the name of the lock file writers serialise on. Like
// the temporary files, it starts with "." so it can never be a category.
const lockPrefix = ".lock"

// LockName is the lock file's name in a wrench directory owned by uid, as
// in ".lock-1001". The owner is in the name so that a chown of the
// directory gives its new owner a fresh lock: a lock an old owner (root,
// say) left behind can never lock the new one out, and is only litter.
// Writers that opened the directory before a chown and those that open it
// after use different locks until the former finish. A negative uid (on
// Windows, which has no uids) gives the plain ".lock".
func LockName(uid int64) string {
	if uid < 0 {
		return lockPrefix
	}
	return fmt.Sprintf("%s-%d", lockPrefix, uid)
}

// tempPrefix begins every temporary file's name: "." and then the
// category, so a leftover one says whose it was.
const tempPrefix = "."

// tempMarker follows the category in a temporary file's name.
const tempMarker = ".tmp-"

// TempName is a fresh temporary name for a new version of category.
func TempName(category string) string {
	return fmt.Sprintf("%s%s%s%d-%08x", tempPrefix, category, tempMarker, os.Getpid(), rand.Uint32())
}

// IsTempName reports whether name is one a writer gives its temporary
// files.
func IsTempName(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.Contains(name, tempMarker)
}
