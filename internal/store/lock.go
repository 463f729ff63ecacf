package store

import (
	"time"

	"github.com/juju/errors"
)

// lockWait is how long a writer waits for another to let go of the
// directory's lock before it gives up and says so. A writer holds the lock
// for a few milliseconds; one held longer belongs to a stuck process, and
// an error that says so beats a CI job that hangs.
var lockWait = 30 * time.Second

// lockRetry is how often a waiting writer tries the lock again.
const lockRetry = 10 * time.Millisecond

// acquire calls try until it takes the lock, fails, or lockWait passes.
// try reports whether it took the lock; false with no error means another
// writer holds it.
func acquire(path string, try func() (taken bool, err error)) error {
	deadline := time.Now().Add(lockWait)
	for {
		taken, err := try()
		if err != nil {
			return errors.Annotatef(err, "cannot lock %s", path)
		}
		if taken {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Errorf("cannot lock %s: another writer has held it for over %v", path, lockWait)
		}
		time.Sleep(lockRetry)
	}
}

// refuseLock is the error for a lock file a writer will not use: what is
// wrong with it and what to do. Nothing about the file has been changed.
func refuseLock(path, reason string) error {
	return errors.Errorf("refusing lock file %s: it %s; remove it (the next writer creates a fresh one)", path, reason)
}

// SetLockWait is for tests: it sets how long a writer waits for the
// directory's lock, and returns a function that puts the original back. It
// is not safe to call while a write runs.
func SetLockWait(d time.Duration) (restore func()) {
	old := lockWait
	lockWait = d
	return func() { lockWait = old }
}
