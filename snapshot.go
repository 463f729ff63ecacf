package wrench

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// snapshot is one state of a category file, as read and verified: the file
// identity it was read at, and its rules with their counts. A new state of
// the file (rewritten, touched, replaced, chmod, chown) gets a new snapshot,
// which is how counts restart.
type snapshot struct {
	key   fileKey
	path  string
	rules map[string]*liveRule // nil when the file was refused
}

// newSnapshot makes the snapshot of a trusted file and logs, once for this
// file state, each line that does not count.
func newSnapshot(key fileKey, path string, data []byte) *snapshot {
	pf := parseFile(path, data)
	for _, p := range pf.problems {
		logger.Warningf("skipping %v", p)
	}
	rules := make(map[string]*liveRule, len(pf.rules))
	for _, r := range pf.rules {
		rules[r.Feature] = newLiveRule(r)
	}
	return &snapshot{key: key, path: path, rules: rules}
}

// refusedSnapshot is the snapshot of a file that is not trusted in this
// state; it is logged once, when made.
func refusedSnapshot(key fileKey, path, reason string) *snapshot {
	logger.Errorf("refusing %s: %s", path, reason)
	return &snapshot{key: key, path: path}
}

// store makes s the category's snapshot and returns it if it can be used.
func (c *category) store(s *snapshot) *snapshot {
	c.snap.Store(s)
	return s.usable()
}

// usable is s, or nil when s is a refusal.
func (s *snapshot) usable() *snapshot {
	if s.rules == nil {
		return nil
	}
	return s
}

// liveRule is a rule of one file state with the counts it has used up.
type liveRule struct {
	Rule
	counted bool // whether any term has a count, so choosing changes state

	mu   sync.Mutex // guards left
	left []int      // per term, how many more times it may fire

	fired atomic.Bool // whether it has fired in this file state
}

func newLiveRule(r Rule) *liveRule {
	lr := &liveRule{Rule: r, counted: r.trigger.counted()}
	if lr.counted {
		lr.left = make([]int, len(r.trigger.terms))
		lr.restart()
	}
	return lr
}

// restart gives every term its full count again.
func (lr *liveRule) restart() {
	for i, t := range lr.trigger.terms {
		lr.left[i] = t.count
	}
}

// randomPercent draws a number in [0, 100) for chance terms; tests replace
// it to make chance exact.
var randomPercent = func() float64 { return rand.Float64() * 100 }

// choose walks the terms as SPEC section 4 says and returns the one that
// fires, or nil when none does. Only counted rules take the lock.
func (lr *liveRule) choose() *term {
	terms := lr.trigger.terms
	if !lr.counted {
		for i := range terms {
			if terms[i].percent == 0 || randomPercent() < terms[i].percent {
				return &terms[i]
			}
		}
		return nil
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	for walk := 0; walk < 2; walk++ {
		spent := true
		for i := range terms {
			t := &terms[i]
			if t.count > 0 && lr.left[i] == 0 {
				continue
			}
			spent = false
			if t.percent > 0 && randomPercent() >= t.percent {
				continue
			}
			if t.count > 0 {
				lr.left[i]--
			}
			return t
		}
		// Every term counted and spent: repeat starts over, in this call.
		if !spent || !lr.trigger.repeat {
			return nil
		}
		lr.restart()
	}
	return nil
}
