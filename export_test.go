package wrench

import (
	"os"
	"sync"
	"time"

	"github.com/go-wrench/wrench/internal/live"
	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/store"
	"github.com/go-wrench/wrench/internal/watch"
)

// Hooks for tests in package wrench_test. Each setter returns a function
// that puts the original back.

// SetRandomPercent replaces the source of chance draws, which must return
// numbers in [0, 100).
func SetRandomPercent(f func() float64) (restore func()) {
	old := rules.RandomPercent
	rules.RandomPercent = f
	return func() { rules.RandomPercent = old }
}

// SetSleep replaces the sleep action's wait.
func SetSleep(f func(d time.Duration, wake <-chan struct{})) (restore func()) {
	old := sleep
	sleep = f
	return func() { sleep = old }
}

// SetPollInterval sets how often paused calls look for a change.
func SetPollInterval(d time.Duration) (restore func()) {
	old := pollInterval
	pollInterval = d
	return func() { pollInterval = old }
}

// SetExit replaces os.Exit for the exit action.
func SetExit(f func(code int)) (restore func()) {
	old := exitProcess
	exitProcess = f
	return func() { exitProcess = old }
}

// ParseTrigger parses a trigger and gives it back in canonical form.
func ParseTrigger(s string) (string, error) {
	t, err := rules.ParseTrigger(s)
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// ParseFile parses a category file's content.
func ParseFile(path string, data []byte) ([]Rule, []Problem) {
	pf := rules.ParseFile(path, data)
	return exportRules(pf.Rules), exportProblems(pf.Problems)
}

// CheckCategory exposes the category name rule.
var CheckCategory = rules.CheckCategory

// Reloads is how many times a category file has been opened and verified,
// rather than served from the snapshot of its unchanged state.
func Reloads() int64 { return reloads.Load() }

// Bounds on what is remembered per data directory, for tests.
const (
	MaxFilelessCategories = maxFilelessCategories
	MaxInvalidNames       = maxInvalidNames
)

// RememberedCategories is how many valid categories, and how many bad
// names, the current data directory remembers.
func RememberedCategories() (valid, invalid int) {
	dd := inUse.Load()
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return dd.kept, dd.invalid
}

// HoldPausedCalls keeps every paused call from looking at its file until
// resume is called, so a test can change the file more than once while no
// paused call reads it. resume may be called more than once.
func HoldPausedCalls() (resume func()) {
	pollHold.Lock()
	var once sync.Once
	return func() { once.Do(pollHold.Unlock) }
}

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

// LiveDirPrefix begins the names of the directories of live states.
const LiveDirPrefix = live.DirPrefix

// LiveDirName is the name of this process's directory of live states in
// a wrench directory.
var LiveDirName = live.DirName

// Publishing reports whether the data directory in use has a publisher
// of its live state running.
func Publishing() bool {
	dd := inUse.Load()
	dd.pubMu.Lock()
	defer dd.pubMu.Unlock()
	return dd.pub != nil
}

// HoldPublishing keeps every publisher of live state between two writes
// until release is called, so a test can count open descriptors.
func HoldPublishing() (release func()) {
	live.Hold.Lock()
	return live.Hold.Unlock
}

// SetDeafWatchers makes watchers ignore every event and tick while on, so
// that in watched mode only Sync and this process's writers change what
// IsActive sees.
func SetDeafWatchers(on bool) (restore func()) {
	old := deafWatchers.Swap(on)
	return func() { deafWatchers.Store(old) }
}

// SetRescanInterval sets how often a watcher started from now on looks
// at everything whatever the events said: a test that sets an hour
// proves what the events alone make visible.
func SetRescanInterval(d time.Duration) (restore func()) {
	old := rescanInterval
	rescanInterval = d
	return func() { rescanInterval = old }
}

// RealRescanInterval is the interval watchers use unless a test sets
// another.
var RealRescanInterval = rescanInterval

// HoldWatcher keeps the watcher of the current data directory from
// verifying what it heard (and Sync from returning) until release is
// called, so that a test can let events pile up unread. release may be
// called more than once.
func HoldWatcher() (release func()) {
	dd := inUse.Load()
	dd.watchMu.Lock()
	var once sync.Once
	return func() { once.Do(dd.watchMu.Unlock) }
}

// Watching reports whether a watcher runs for the current data directory:
// whether calls answer from the watched snapshot now.
func Watching() bool { return inUse.Load().view.Load() != nil }

// SetWatchFailure makes every watcher fail to start with err while it is
// set, as where no watch can be placed; nil puts the real one back.
func SetWatchFailure(err error) (restore func()) {
	old := startWatcher
	if err != nil {
		startWatcher = func(watch.Config) (*watch.Watcher, error) { return nil, err }
	} else {
		startWatcher = watch.Start
	}
	return func() { startWatcher = old }
}

// ExactMode reports whether calls in the current data directory look at
// the disk themselves: exact mode, or the fallback to it.
func ExactMode() bool { return inUse.Load().exactMode() }

// IsRead reports whether category has been asked by IsActive and found
// with rules, which makes it part of the process's live state.
func IsRead(name string) bool {
	v, ok := inUse.Load().categories.Load(name)
	return ok && v.(*category) != nil && v.(*category).read.Load()
}

// ChangeSignal is closed when the named category's snapshot next changes
// to another file state or is dropped: when a change becomes visible to
// calls. The category must have been asked already.
func ChangeSignal(name string) <-chan struct{} {
	v, _ := inUse.Load().categories.Load(name)
	return v.(*category).changeSignal()
}
