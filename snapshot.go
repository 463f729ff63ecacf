package wrench

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// snapshot is one state of a category file, as read and verified: the file
// identity it was read at, and its rules. A new state of the file
// (rewritten, touched, replaced, chmod, chown) gets a new snapshot, but a
// rule whose line is unchanged keeps its counts in it: see store.
type snapshot struct {
	key   fileKey
	path  string
	rules map[string]*liveRule // nil when the file was refused
}

// newSnapshot makes the snapshot of a trusted file and logs, once for this
// file state, each line that does not count. Its rules start fresh until
// store gives them the state of the snapshot they follow.
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
// Callers hold c.mu, so the snapshot s follows is the one stored now.
//
// Counts belong to rules, not to file states: each rule of s whose line
// is unchanged from the category's usable snapshot before it takes over
// that rule's state (see carryOver). The state is shared, not copied, so a
// call still evaluating the old snapshot and one on the new count on one
// counter and no firing is lost or doubled. After a refusal, or once
// forget has dropped a snapshot because the file was gone or not trusted,
// every rule starts fresh.
func (c *category) store(s *snapshot) *snapshot {
	if prev := c.snap.Load(); prev != nil && s.rules != nil {
		for feature, lr := range s.rules {
			if old := prev.rules[feature]; old != nil {
				lr.carryOver(old)
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

// liveRule is a rule of one file state: the rule as written, the counts it
// has used up (shared with the same rule in the file states before and
// after it), and what was logged in this file state.
type liveRule struct {
	Rule
	counted bool // whether any term has a count, so choosing changes state

	state *ruleState // nil when nothing is counted

	fired atomic.Bool // whether it has fired in this file state
}

// ruleState is what a counted rule has used up. It outlives a file state
// as long as the rule's line stays the same.
type ruleState struct {
	mu   sync.Mutex // guards left
	left []int      // per term, how many more times it may fire
}

func newLiveRule(r Rule) *liveRule {
	lr := &liveRule{Rule: r, counted: r.trigger.counted()}
	if lr.counted {
		lr.state = &ruleState{left: make([]int, len(r.trigger.terms))}
		lr.restart()
	}
	return lr
}

// carryOver makes lr, a fresh rule of a new file state, go on from old,
// the same feature's rule in the state before, when its line is unchanged:
// then lr shares old's counts. The one change that also carries over is a
// release: "K*off->pause" after "J*off->pause" with J <= K says K calls
// pass in all, so it shares old's counts and lets K-J more through. Any
// other change leaves lr fresh.
func (lr *liveRule) carryOver(old *liveRule) {
	if !lr.counted || !old.counted {
		return // nothing counted, nothing to carry
	}
	if lr.Trigger == old.Trigger {
		lr.state = old.state
		return
	}
	k, ok := releasedCalls(&lr.trigger)
	if !ok {
		return
	}
	j, ok := releasedCalls(&old.trigger)
	if !ok || k < j {
		return
	}
	st := old.state
	st.mu.Lock()
	st.left[0] += k - j
	st.mu.Unlock()
	lr.state = st
}

// restart gives every term its full count again. The caller holds the
// state's lock, or has the state to itself.
func (lr *liveRule) restart() {
	for i, t := range lr.trigger.terms {
		lr.state.left[i] = t.count
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
	st := lr.state
	st.mu.Lock()
	defer st.mu.Unlock()
	for walk := 0; walk < 2; walk++ {
		spent := true
		for i := range terms {
			t := &terms[i]
			if t.count > 0 && st.left[i] == 0 {
				continue
			}
			spent = false
			if t.percent > 0 && randomPercent() >= t.percent {
				continue
			}
			if t.count > 0 {
				st.left[i]--
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
