package fleet

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/juju/errors"
)

// PickSpec is how many targets --pick chooses: a count, or a percentage
// of the targets given.
type PickSpec struct {
	count   int     // a fixed count, when percent is 0
	percent float64 // above 0 and at most 100, or 0 for a count
}

// ParsePick parses --pick's value: "one", a whole number N >= 1, or P%
// with 0 < P <= 100 (a decimal such as 12.5% is fine).
func ParsePick(s string) (PickSpec, error) {
	if s == "one" {
		return PickSpec{count: 1}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || !(v > 0 && v <= 100) || strings.ContainsAny(p, "eEinIN_xXpP+-") {
			return PickSpec{}, errors.Errorf("%q is not a percentage above 0 and at most 100", s)
		}
		return PickSpec{percent: v}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || strings.HasPrefix(s, "+") {
		return PickSpec{}, errors.Errorf("%q is not one, a count of at least 1, or a percentage such as 34%%", s)
	}
	return PickSpec{count: n}, nil
}

// Of says how many of n targets the spec picks: a percentage rounds up
// and is at least one. A count larger than n is an error, not a quiet
// "all of them".
func (p PickSpec) Of(n int) (int, error) {
	if p.percent == 0 {
		if p.count > n {
			return 0, errors.Errorf("cannot pick %d of %d targets", p.count, n)
		}
		return p.count, nil
	}
	k := int(math.Ceil(p.percent * float64(n) / 100))
	// Guards against a percentage such as 33.3333333% of 3 coming out a
	// hair above a whole number and rounding up past it.
	if exact := p.percent * float64(n) / 100; k-1 >= 1 && exact-float64(k-1) < 1e-9 {
		k--
	}
	return min(max(k, 1), n), nil
}

// Pick chooses k of n targets with a generator seeded by seed, and
// returns their indexes in the order the targets were given. The same
// seed, n and k always give the same indexes, on every platform and Go
// release: the generator is math/rand/v2's PCG, whose output is
// specified, and the shuffle is written here rather than left to a
// library whose algorithm may change.
func Pick(n, k int, seed uint64) []int {
	pcg := rand.NewPCG(seed, pickStream)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// The first k steps of a Fisher-Yates shuffle.
	for i := 0; i < k; i++ {
		j := i + int(below(pcg, uint64(n-i)))
		order[i], order[j] = order[j], order[i]
	}
	chosen := order[:k]
	slices.Sort(chosen)
	return chosen
}

// below returns a uniform number in [0, n), rejecting the draws that
// would make a plain modulo favour small numbers.
func below(src rand.Source, n uint64) uint64 {
	limit := math.MaxUint64 - math.MaxUint64%n
	for {
		if v := src.Uint64(); v < limit {
			return v % n
		}
	}
}

// pickStream is the PCG's second seed word, fixed so that the one number
// the user sees (--seed) is the whole of the choice.
const pickStream = 0x77726e6368 // "wrnch"

// NewSeed returns a seed for a run given none: random, and printed by the
// caller so that the run can be repeated.
func NewSeed() uint64 {
	// Seeds are shown in decimal and typed back in: keep them to 53
	// bits, so a harness that reads them as JSON numbers keeps them
	// exact.
	return rand.Uint64() >> 11
}
