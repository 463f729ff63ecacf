package wrench

import (
	"os"

	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/store"
)

// Hooks for the writer's tests in package wrench_test.

// SetWriteFault makes the writer ask f before each step of a write
// ("made-dir" once the wrench directory is made, "create" the temporary
// file, "rename" it over the old one); an error from f fails that step.
// It returns a function that puts the original back.
var SetWriteFault = store.SetWriteFault

// SetRuleText is the edit Set makes to a file's text, without the disk.
func SetRuleText(data, feature, trigger string) string {
	return string(rules.SetRule([]byte(data), feature, trigger))
}

// UnsetRuleText is the edit Unset makes to a file's text, and whether it
// found the feature.
func UnsetRuleText(data, feature string) (string, bool) {
	out, found := rules.UnsetRule([]byte(data), feature)
	return string(out), found
}

// CheckSet and CheckUnset are the checks every Set and Unset passes
// before it writes.
var (
	CheckSet   = rules.CheckSet
	CheckUnset = rules.CheckUnset
)

// TempName is a name the writer gives a temporary file for category.
var TempName = store.TempName

// LockName is the writers' lock file's name in a wrench directory owned
// by this process's user, as the tests' directories are (".lock" on
// Windows, where Geteuid is -1).
var LockName = store.LockName(int64(os.Geteuid()))

// LockNameFor is the writers' lock file's name in a wrench directory owned
// by uid.
var LockNameFor = store.LockName

// SetLockWait sets how long a writer waits for the directory's lock.
var SetLockWait = store.SetLockWait
