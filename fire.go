package wrench

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-wrench/wrench/internal/rules"
)

// InjectedPanic is the value the panic action panics with.
type InjectedPanic struct {
	Category string
	Feature  string
}

// Error says which point panicked, so the crash names it.
func (p *InjectedPanic) Error() string {
	return fmt.Sprintf("wrench: injected panic at %s:%s", p.Category, p.Feature)
}

// Hooks that tests replace to make time and process exit observable.
var (
	// sleep waits for d, or until wake is closed.
	sleep = func(d time.Duration, wake <-chan struct{}) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-wake:
		}
	}
	// pollInterval is how often a paused call looks for a change to its
	// rule's file. A stat costs about a microsecond, so this is cheap.
	pollInterval = 10 * time.Millisecond
	// exitProcess ends the process for the exit action.
	exitProcess = os.Exit
)

// pollHold is held for reading while a paused call looks at its file, so
// a test can hold every paused call between two looks (and rewrite the
// file more than once meanwhile) by holding it for writing.
var pollHold sync.RWMutex

// fire chooses what rule lr does for this call and does it. again is true
// when the call must be evaluated afresh (a pause that ended because the
// rule changed).
func (c *category) fire(cf *config, snap *snapshot, lr *liveRule) (active, again bool) {
	t := lr.Choose()
	if t == nil {
		return false, false
	}
	w := *wake.Load()
	lr.logFiring(c.name, t)
	switch t.Action {
	case rules.On:
		return true, false
	case rules.Sleep:
		sleep(t.Sleep, w)
	case rules.Pause:
		return false, c.awaitChange(cf, snap, w)
	case rules.Panic:
		panic(&InjectedPanic{Category: c.name, Feature: lr.Feature})
	case rules.Exit:
		logger.Errorf("%s:%s: exiting with status %d (rule %q)", c.name, lr.Feature, t.Code, lr.Trigger)
		exitProcess(t.Code)
	}
	return false, false
}

// logFiring logs the first firing of a rule in a file state at INFO and
// later ones at DEBUG. An off term lets the call through, which is no
// fault to report: it is logged at TRACE, or a release of paused calls
// would fill an agent's log.
func (lr *liveRule) logFiring(category string, t *rules.Term) {
	if t.Action == rules.Off {
		if logger.IsTraceEnabled() {
			logger.Tracef("%s:%s: off fired (rule %q)", category, lr.Feature, lr.Trigger)
		}
		return
	}
	if !lr.fired.Load() && lr.fired.CompareAndSwap(false, true) {
		logger.Infof("%s:%s: %s fired (rule %q, line %d)", category, lr.Feature, t.Name, lr.Trigger, lr.Line)
		return
	}
	if logger.IsDebugEnabled() {
		logger.Debugf("%s:%s: %s fired (rule %q)", category, lr.Feature, t.Name, lr.Trigger)
	}
}

// awaitChange holds a paused call until the category file is no longer the
// one snap was read from, the data directory changes, or wrench is
// disabled. It reports whether the call should be evaluated again.
func (c *category) awaitChange(cf *config, snap *snapshot, w <-chan struct{}) bool {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-w:
			return false
		case <-tick.C:
		}
		pollHold.RLock()
		disabled := !enabled.Load()
		moved := !disabled && (current.Load() != cf || c.changed(cf, snap))
		pollHold.RUnlock()
		if disabled {
			return false
		}
		if moved {
			return true
		}
	}
}
