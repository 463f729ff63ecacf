package wrench_test

import (
	"os"
	"sync"
	"time"
)

// osChtimes sets both times of path, to touch it.
func osChtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }

// askConcurrently calls ask in a loop on n goroutines until stop is
// called; stop waits for them and returns the first error any returned.
// stop may be called more than once.
func askConcurrently(n int, ask func() error) (stop func() error) {
	done := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := ask(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var first error
	var once sync.Once
	return func() error {
		// Idempotent, so a test may also defer it for when an assertion
		// fails before its own call.
		once.Do(func() {
			close(done)
			wg.Wait()
			close(errs)
			first = <-errs
		})
		return first
	}
}
