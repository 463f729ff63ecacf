package wrench

import (
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/juju/loggo/v2"

	"github.com/go-wrench/wrench/internal/nowrench"
)

// logger is where wrench says what it refused, skipped and fired.
var logger = loggo.GetLogger("wrench")

var (
	// enabled is the switch. IsActive reads it first, so a disabled
	// wrench costs one atomic load.
	enabled atomic.Bool

	// wake is closed when wrench is disabled, waking every call that is
	// sleeping or paused in a rule. A new channel replaces it when wrench
	// is enabled again.
	wake atomic.Pointer[chan struct{}]

	// switchMu serialises SetEnabled and SetDataDir.
	switchMu sync.Mutex

	// current is the data directory in use, with everything cached from it.
	current atomic.Pointer[config]
)

func init() {
	enabled.Store(true)
	ch := make(chan struct{})
	wake.Store(&ch)
	current.Store(newConfig(defaultDataDir()))
}

// IsActive reports whether the rule for feature in category says this call
// should fail: true when the category file in the wrench directory has a
// trusted line for feature whose trigger fires now.
//
// It never returns an error and never panics, except for the panic action.
// It blocks only for the sleep and pause actions. It is safe for concurrent
// use. When wrench is disabled, or built with the nowrench tag, it returns
// false at once.
func IsActive(category, feature string) bool {
	if nowrench.Tagged || !enabled.Load() {
		return false
	}
	return isActive(category, feature)
}

// SetEnabled turns wrench on or off for the whole process and returns the
// previous setting. Turning it off makes every IsActive return false from
// then on and wakes every call sleeping or paused in a rule, which returns
// false at once. Test suites call SetEnabled(false) in their base suite's
// set-up so that no file on the machine can change a test's outcome.
func SetEnabled(on bool) (previous bool) {
	switchMu.Lock()
	defer switchMu.Unlock()
	previous = enabled.Load()
	switch {
	case on && !previous:
		ch := make(chan struct{})
		wake.Store(&ch)
		enabled.Store(true)
		logger.Tracef("enabled")
	case !on && previous:
		enabled.Store(false)
		close(*wake.Load())
		logger.Tracef("disabled: IsActive is false until SetEnabled(true)")
	}
	return previous
}

// IsEnabled reports whether wrench is enabled.
func IsEnabled() bool {
	return enabled.Load()
}

// SetDataDir sets the data directory whose "wrench" subdirectory holds the
// category files, and returns the previous one. It drops every cached file
// and every count, so rules start afresh from the new directory.
func SetDataDir(dataDir string) (previous string) {
	switchMu.Lock()
	defer switchMu.Unlock()
	old := current.Swap(newConfig(dataDir))
	old.retire()
	return old.dataDir
}

// DataDir returns the data directory in use: /var/lib unless SetDataDir
// changed it (%ProgramData% on Windows).
func DataDir() string {
	return current.Load().dataDir
}

// wrenchDir is the directory holding the category files.
func wrenchDir(dataDir string) string {
	return filepath.Join(dataDir, "wrench")
}

// isActive is IsActive once the switch is known to be on.
func isActive(categoryName, feature string) bool {
	for {
		cf := current.Load()
		cat := cf.category(categoryName)
		if cat == nil {
			return false
		}
		snap := cat.current(cf)
		if snap == nil {
			cat.forget() // a gap: the rules read next start fresh
			return false
		}
		lr := snap.rules[feature]
		if lr == nil {
			return false
		}
		active, again := cat.fire(cf, snap, lr)
		if !again {
			return active
		}
	}
}
