package wrench

import "sync"

// HoldPausedCalls keeps every paused call from looking at its file until
// resume is called, so a test can change the file more than once while no
// paused call reads it. resume may be called more than once.
func HoldPausedCalls() (resume func()) {
	pollHold.Lock()
	var once sync.Once
	return func() { once.Do(pollHold.Unlock) }
}
