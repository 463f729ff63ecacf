package wrench

import (
	"time"

	"github.com/go-wrench/wrench/internal/rules"
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
