package rules

import (
	"hash/fnv"
	"sync"
	"sync/atomic"
)

// Live is a rule as one file state evaluates it: the rule as written and
// the counts it has used up, shared with the same rule in the file states
// before and after it as long as its line is unchanged.
//
// Choose is safe for concurrent use; CarryOver is called on a Live no call
// evaluates yet.
type Live struct {
	Rule
	counted bool    // whether any term has a count, so choosing changes state
	state   *state  // nil when nothing is counted
	draws   *stream // nil when no term has a chance
	always  *Term   // the term every call fires, when the first has neither count nor chance
}

// stream is one rule's own sequence of chance draws: the n-th draw is a
// function of the rule's key and n alone, so one rule's draws never shift
// another's, and the same seed replays the same decisions. It outlives a
// file state as the counts do: an unchanged line goes on drawing where it
// was.
type stream struct {
	key uint64        // from the seed, the category and the feature
	n   atomic.Uint64 // draws made
}

// StreamKey is the key of the chance draws of feature in category for a
// process whose seed is seed.
func StreamKey(seed uint64, category, feature string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(category))
	h.Write([]byte{0})
	h.Write([]byte(feature))
	return mix(seed ^ h.Sum64())
}

// mix is SplitMix64's finaliser: every bit of its input moves about half
// of the output's.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// percent is the stream's next draw, in [0, 100). It takes no lock: the
// draw's number is taken atomically, and the draw is a pure function of it.
func (s *stream) percent() float64 {
	n := s.n.Add(1)
	z := mix(s.key + n*0x9e3779b97f4a7c15)
	return float64(z>>11) * (100.0 / (1 << 53))
}

// Always is the term every call of the rule fires, when there is one
// (its first term has neither a count nor a chance, as in a bare feature
// or "sleep(1s)"), or nil. A caller that finds one need not call Choose,
// which is too large to inline.
func (l *Live) Always() *Term { return l.always }

// HasChance reports whether any of the rule's terms has a chance, so its
// firings depend on the seed.
func (l *Live) HasChance() bool { return l.draws != nil }

// state is what a counted rule has used up. It outlives a file state as
// long as the rule's line stays the same.
type state struct {
	mu   sync.Mutex // guards left
	left []int      // per term, how many more times it may fire
}

// NewLive starts r fresh: every count full, and its chance draws (if it
// has any) at the start of the stream key names (see StreamKey).
func NewLive(r Rule, key uint64) Live {
	l := Live{Rule: r, counted: r.Parsed.counted()}
	if l.counted {
		l.state = &state{left: make([]int, len(r.Parsed.Terms))}
		l.restart()
	}
	if first := &r.Parsed.Terms[0]; !l.counted && first.Percent == 0 {
		l.always = first
	}
	for i := range r.Parsed.Terms {
		if r.Parsed.Terms[i].Percent > 0 {
			l.draws = &stream{key: key}
			break
		}
	}
	return l
}

// CarryOver makes l, a fresh rule of a new file state, go on from old,
// the same feature's rule in the state before, when its line is unchanged:
// then l shares old's counts, so a call still evaluating the old state and
// one on the new count on one counter and no firing is lost or doubled.
// The one change that also carries over is a release: "K*off->pause" after
// "J*off->pause" with J <= K says K calls pass in all, so it shares old's
// counts and lets K-J more through. Any other change leaves l fresh.
func (l *Live) CarryOver(old *Live) {
	if l.Trigger == old.Trigger && l.draws != nil && old.draws != nil && l.draws.key == old.draws.key {
		l.draws = old.draws // the same rule goes on with its draws
	}
	if !l.counted || !old.counted {
		return // nothing counted, nothing to carry
	}
	if l.Trigger == old.Trigger {
		l.state = old.state
		return
	}
	k, ok := releasedCalls(&l.Parsed)
	if !ok {
		return
	}
	j, ok := releasedCalls(&old.Parsed)
	if !ok || k < j {
		return
	}
	st := old.state
	st.mu.Lock()
	st.left[0] += k - j
	st.mu.Unlock()
	l.state = st
}

// Unlimited is what Remaining reports for a term that has no count.
const Unlimited = -1

// Remaining is how many more times each term may fire before the rule is
// spent (or repeats), in term order; a term without a count reports
// Unlimited. It is what a rule's live state shows, read off the hot path.
func (l *Live) Remaining() []int {
	left := make([]int, len(l.Parsed.Terms))
	if !l.counted {
		for i := range left {
			left[i] = Unlimited
		}
		return left
	}
	l.state.mu.Lock()
	defer l.state.mu.Unlock()
	for i, t := range l.Parsed.Terms {
		left[i] = l.state.left[i]
		if t.Count == 0 {
			left[i] = Unlimited
		}
	}
	return left
}

// restart gives every term its full count again. The caller holds the
// state's lock, or has the state to itself.
func (l *Live) restart() {
	for i, t := range l.Parsed.Terms {
		l.state.left[i] = t.Count
	}
}

// RandomPercent, when tests set it, draws every chance term's number in
// [0, 100) in place of the rules' own streams, to make chance exact.
// Nothing else may set it.
var RandomPercent func() float64

// draw is the next number in [0, 100) for one of l's chance terms.
func (l *Live) draw() float64 {
	if RandomPercent != nil {
		return RandomPercent()
	}
	return l.draws.percent()
}

// Choose walks the terms for one call and returns the one that fires, or
// nil when none does. For each term: a counted term that is spent is
// skipped; a chance term draws, and on a miss the walk goes on; the first
// term that passes fires and its count goes down by one. When every term
// is counted and spent, "->repeat" starts the counts over and the same
// call walks again. Only counted rules take a lock, and none allocates:
// this is on IsActive's hot path.
func (l *Live) Choose() *Term {
	if l.always != nil {
		return l.always
	}
	terms := l.Parsed.Terms
	if !l.counted {
		for i := range terms {
			if terms[i].Percent == 0 || l.draw() < terms[i].Percent {
				return &terms[i]
			}
		}
		return nil
	}
	st := l.state
	st.mu.Lock()
	defer st.mu.Unlock()
	for walk := 0; walk < 2; walk++ {
		spent := true
		for i := range terms {
			t := &terms[i]
			if t.Count > 0 && st.left[i] == 0 {
				continue
			}
			spent = false
			if t.Percent > 0 && l.draw() >= t.Percent {
				continue
			}
			if t.Count > 0 {
				st.left[i]--
			}
			return t
		}
		// Every term counted and spent: repeat starts over, in this call.
		if !spent || !l.Parsed.Repeat {
			return nil
		}
		l.restart()
	}
	return nil
}

// releasedCalls reports whether t is what a release writes,
// "K*off->pause", and K: how many calls it lets through in all before
// pausing.
func releasedCalls(t *Trigger) (int, bool) {
	if len(t.Terms) != 2 || t.Repeat {
		return 0, false
	}
	off, pause := &t.Terms[0], &t.Terms[1]
	if off.Action != Off || off.Percent != 0 || off.Count == 0 ||
		pause.Action != Pause || pause.Percent != 0 || pause.Count != 0 {
		return 0, false
	}
	return off.Count, true
}
