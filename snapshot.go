package wrench

import (
	"sync/atomic"

	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/sys"
)

// snapshot is one state of a category file, as read and verified: the file
// identity it was read at, and its rules. A new state of the file
// (rewritten, touched, replaced, chmod, chown) gets a new snapshot, but a
// rule whose line is unchanged keeps its counts in it: see store.
type snapshot struct {
	key   sys.FileKey
	path  string
	rules map[string]*liveRule // nil when the file was refused
}

// newSnapshot makes the snapshot of a trusted file and logs, once for this
// file state, each line that does not count. Its rules start fresh until
// store gives them the state of the snapshot they follow.
func newSnapshot(key sys.FileKey, path string, data []byte) *snapshot {
	pf := rules.ParseFile(path, data)
	for _, p := range pf.Problems {
		logger.Warningf("skipping %v", p)
	}
	live := make(map[string]*liveRule, len(pf.Rules))
	for _, r := range pf.Rules {
		live[r.Feature] = &liveRule{Live: rules.NewLive(r)}
	}
	return &snapshot{key: key, path: path, rules: live}
}

// refusedSnapshot is the snapshot of a file that is not trusted in this
// state; it is logged once, when made.
func refusedSnapshot(key sys.FileKey, path, reason string) *snapshot {
	logger.Errorf("refusing %s: %s", path, reason)
	return &snapshot{key: key, path: path}
}

// store makes s the category's snapshot and returns it if it can be used.
// Callers hold c.mu, so the snapshot s follows is the one stored now.
//
// Counts belong to rules, not to file states: each rule of s whose line
// is unchanged from the category's usable snapshot before it takes over
// that rule's state (see rules.Live.CarryOver). The state is shared, not copied, so a
// call still evaluating the old snapshot and one on the new count on one
// counter and no firing is lost or doubled. After a refusal, or once
// forget has dropped a snapshot because the file was gone or not trusted,
// every rule starts fresh.
func (c *category) store(s *snapshot) *snapshot {
	if prev := c.snap.Load(); prev != nil && s.rules != nil {
		for feature, lr := range s.rules {
			if old := prev.rules[feature]; old != nil {
				lr.CarryOver(&old.Live)
			}
		}
	}
	c.snap.Store(s)
	return s.usable()
}

// forget drops the category's snapshot when it is a usable one: the
// process found nothing to honour (no file, no trusted directory), so the
// rules it reads next start fresh rather than where they were before the
// gap. A refusal is kept, so an unchanged refused file is neither read nor
// logged again.
func (c *category) forget() {
	if s := c.snap.Load(); s != nil && s.rules != nil {
		c.snap.CompareAndSwap(s, nil)
	}
}

// usable is s, or nil when s is a refusal.
func (s *snapshot) usable() *snapshot {
	if s.rules == nil {
		return nil
	}
	return s
}

// liveRule is a rule of one file state: the rule and its counts (see
// rules.Live), and whether it has fired in this file state, so its first
// firing is logged at INFO.
type liveRule struct {
	rules.Live
	fired atomic.Bool
}
