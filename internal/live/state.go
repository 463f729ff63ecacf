package live

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/juju/errors"
)

// FormatVersion is the version of the state file's format. A reader
// ignores, with that reason, a file of another version.
const FormatVersion = 1

// Process is the content of one state file: one process and every
// category it reads.
type Process struct {
	Format int `json:"format"`
	// PID and Start identify the process: Start is the platform's start
	// time of the process (Linux: clock ticks since boot, field 22 of
	// /proc/PID/stat; Windows: its creation time as a FILETIME), as a
	// decimal, compared as it is. A pid whose start differs is another
	// process.
	PID   int    `json:"pid"`
	Start string `json:"start"`
	// Started is when the process started, by the wall clock, as well as
	// the platform can say; zero when it cannot.
	Started time.Time `json:"started,omitzero"`
	// Executable is the base name of the process's executable.
	Executable string `json:"executable"`
	// EUID is the process's effective uid; -1 on Windows, whose User is
	// the process's SID.
	EUID int    `json:"euid"`
	User string `json:"user,omitempty"`
	// Seed is the seed of the process's chance draws, in decimal (a
	// uint64 does not survive every JSON reader as a number).
	Seed string `json:"seed"`
	// Exact is whether the process checks the disk on every call
	// (WRENCH_EXACT): such a process serves each file as it is at each
	// call, whatever version its state last showed.
	Exact bool `json:"exact"`
	// Published is when this state was written.
	Published time.Time `json:"published"`
	// Categories are the categories the process reads, by name.
	Categories []Category `json:"categories"`
}

// Category is what one process does with one category it reads.
type Category struct {
	Name string `json:"name"`
	// Version is the SHA-256 of the content of the file the process
	// serves, in hex; "" when it serves no file (there is none, or it is
	// refused: then Refused says why).
	Version string `json:"version,omitempty"`
	Refused string `json:"refused,omitempty"`
	// Rules are the file's rules, in line order.
	Rules []Rule `json:"rules,omitempty"`
	// Unruled are features asked of the category that have no rule,
	// with their calls; past a bound, the calls of further ones are
	// counted together in UnruledOthers.
	Unruled       []Unruled `json:"unruled,omitempty"`
	UnruledOthers uint64    `json:"unruledOthers,omitempty"`
}

// Rule is what one rule has done in one process since its line last
// changed.
type Rule struct {
	Feature   string `json:"feature"`
	Trigger   string `json:"trigger"`
	Line      int    `json:"line"`
	Evaluated uint64 `json:"evaluated"`
	Fired     uint64 `json:"fired"`
	// Remaining is each term's remaining count, in term order; -1 for a
	// term without a count.
	Remaining []int `json:"remaining"`
	Paused    int64 `json:"paused"`
	Sleeping  int64 `json:"sleeping"`
	// LastFired is when a term last fired; zero if never.
	LastFired time.Time `json:"lastFired,omitzero"`
	// Asked is whether the feature was asked before the line last
	// changed (with no rule, or another trigger), which Evaluated no
	// longer counts.
	Asked bool `json:"asked,omitempty"`
}

// Unruled is a feature asked of a category whose file has no rule for it.
type Unruled struct {
	Feature string `json:"feature"`
	Calls   uint64 `json:"calls"`
}

// Encode is the state file's content for p.
func Encode(p *Process) ([]byte, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return nil, errors.Trace(err)
	}
	return append(data, '\n'), nil
}

// Decode reads a state file's content. It says why a file is not one of
// this format, in words a reader shows as the reason it is ignored.
func Decode(data []byte) (*Process, error) {
	var p Process
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, errors.Errorf("is not a live state: %v", err)
	}
	if p.Format != FormatVersion {
		return nil, errors.Errorf("is a live state of format %d, not %d", p.Format, FormatVersion)
	}
	if p.PID <= 0 {
		return nil, errors.Errorf("is a live state without a pid")
	}
	if _, err := strconv.ParseUint(p.Seed, 10, 64); err != nil {
		return nil, errors.Errorf("is a live state whose seed %q is not a decimal", p.Seed)
	}
	return &p, nil
}

// SeedValue is the seed of p as a number.
func (p *Process) SeedValue() uint64 {
	n, _ := strconv.ParseUint(p.Seed, 10, 64)
	return n
}

// Category is p's state of the named category, or nil.
func (p *Process) Category(name string) *Category {
	for i := range p.Categories {
		if p.Categories[i].Name == name {
			return &p.Categories[i]
		}
	}
	return nil
}

// Rule is c's rule for feature, or nil.
func (c *Category) Rule(feature string) *Rule {
	for i := range c.Rules {
		if c.Rules[i].Feature == feature {
			return &c.Rules[i]
		}
	}
	return nil
}

// Asked reports whether the process has asked for feature of c: it has a
// rule that was evaluated or asked before its line changed, or it was
// asked without one.
func (c *Category) Asked(feature string) bool {
	if r := c.Rule(feature); r != nil && (r.Evaluated > 0 || r.Asked) {
		return true
	}
	for _, u := range c.Unruled {
		if u.Feature == feature {
			return true
		}
	}
	return false
}
