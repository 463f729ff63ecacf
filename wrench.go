package wrench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/juju/loggo/v2"

	"github.com/go-wrench/wrench/internal/nowrench"
	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/sys"
)

// logger is where wrench says what it refused, skipped and fired.
var logger = loggo.GetLogger("wrench")

var (
	// enabled is the switch. IsActive reads it first, so a disabled
	// wrench costs one atomic load.
	enabled atomic.Bool

	// wake is closed when wrench is disabled, waking every call that is
	// sleeping or paused in a rule. A new channel replaces it when wrench
	// is enabled again.
	wake atomic.Pointer[chan struct{}]

	// switchMu serialises SetEnabled and SetDataDir.
	switchMu sync.Mutex

	// current is the data directory in use, with everything cached from it.
	current atomic.Pointer[config]
)

func init() {
	enabled.Store(true)
	ch := make(chan struct{})
	wake.Store(&ch)
	current.Store(newConfig(defaultDataDir()))
}

// IsActive reports whether the rule for feature in category says this call
// should fail: true when the category file in the wrench directory has a
// trusted line for feature whose trigger fires now.
//
// It never returns an error and never panics, except for the panic action.
// It blocks only for the sleep and pause actions. It is safe for concurrent
// use. When wrench is disabled, or built with the nowrench tag, it returns
// false at once.
func IsActive(category, feature string) bool {
	if nowrench.Tagged || !enabled.Load() {
		return false
	}
	return isActive(category, feature)
}

// SetEnabled turns wrench on or off for the whole process and returns the
// previous setting. Turning it off makes every IsActive return false from
// then on and wakes every call sleeping or paused in a rule, which returns
// false at once. Test suites call SetEnabled(false) in their base suite's
// set-up so that no file on the machine can change a test's outcome.
func SetEnabled(on bool) (previous bool) {
	switchMu.Lock()
	defer switchMu.Unlock()
	previous = enabled.Load()
	switch {
	case on && !previous:
		ch := make(chan struct{})
		wake.Store(&ch)
		enabled.Store(true)
		logger.Tracef("enabled")
	case !on && previous:
		enabled.Store(false)
		close(*wake.Load())
		logger.Tracef("disabled: IsActive is false until SetEnabled(true)")
	}
	return previous
}

// IsEnabled reports whether wrench is enabled.
func IsEnabled() bool {
	return enabled.Load()
}

// SetDataDir sets the data directory whose "wrench" subdirectory holds the
// category files, and returns the previous one. It drops every cached file
// and every count, so rules start afresh from the new directory.
func SetDataDir(dataDir string) (previous string) {
	switchMu.Lock()
	defer switchMu.Unlock()
	old := current.Swap(newConfig(dataDir))
	old.retire()
	return old.dataDir
}

// DataDir returns the data directory in use: /var/lib unless SetDataDir
// changed it (%ProgramData% on Windows).
func DataDir() string {
	return current.Load().dataDir
}

// wrenchDir is the directory holding the category files.
func wrenchDir(dataDir string) string {
	return filepath.Join(dataDir, "wrench")
}

// isActive is IsActive once the switch is known to be on.
func isActive(categoryName, feature string) bool {
	for {
		cf := current.Load()
		cat := cf.category(categoryName)
		if cat == nil {
			return false
		}
		snap := cat.current(cf)
		if snap == nil {
			cat.forget() // a gap: the rules read next start fresh
			return false
		}
		lr := snap.rules[feature]
		if lr == nil {
			return false
		}
		active, again := cat.fire(cf, snap, lr)
		if !again {
			return active
		}
	}
}

const (
	// maxInvalidNames bounds how many distinct bad category names are
	// remembered, so that each is logged once. Past it, bad names are not
	// logged at all (one line says so): a log that grows with every call
	// would be worse than one that stops naming them.
	maxInvalidNames = 256

	// maxFilelessCategories bounds how many categories that had no file
	// when first asked are remembered. Past it, a new category with no
	// file is answered by a stat on each call and not remembered; one
	// whose file exists is always remembered, so its rules' counts live.
	maxFilelessCategories = 1024
)

// reloads counts the times any category file was looked at beyond a stat;
// tests use it to prove an unchanged file is not read again.
var reloads atomic.Int64

// config is everything wrench holds for one data directory. SetDataDir
// replaces it whole, which is how every cache and count is dropped.
type config struct {
	dataDir    string
	wrenchDir  string
	wrenchDirz []byte // wrenchDir, NUL-terminated, for stats that allocate nothing
	euid       userID // the user the trust rules allow besides root (a uid on unix, a SID on Windows)

	// categories maps a name asked to its *category, or to a nil one for
	// a bad name already logged. Reads take no lock and write nothing
	// shared; adding a name costs the same however many are there.
	categories sync.Map

	mu           sync.Mutex  // serialises adding to categories
	kept         int         // valid categories remembered
	invalid      int         // bad names remembered, as nil
	filelessFull atomic.Bool // kept reached maxFilelessCategories
	invalidFull  atomic.Bool // invalid reached maxInvalidNames
	warnedFull   atomic.Bool // the WARNING that categories are no longer remembered was logged

	dir trustedDir // what the platform keeps of the wrench directory last found trusted
}

func newConfig(dataDir string) *config {
	dir := wrenchDir(dataDir)
	return &config{dataDir: dataDir, wrenchDir: dir, wrenchDirz: append([]byte(dir), 0), euid: effectiveUser()}
}

// category returns the state kept for the named category, or nil when
// there is nothing to honour: the name is not a valid category (which is
// logged once per name, up to maxInvalidNames), or too many categories
// with no file are remembered already and this one has none either.
func (cf *config) category(name string) *category {
	if v, ok := cf.categories.Load(memoKey(name)); ok {
		return v.(*category)
	}
	return cf.add(name)
}

// memoKey is the key name is remembered under. A name longer than any
// valid one is cut short, so no caller's string, however long, is kept
// whole; two such names that start alike are logged as one.
func memoKey(name string) string {
	if len(name) > rules.MaxNameLength+1 {
		return name[:rules.MaxNameLength+1]
	}
	return name
}

// add is category for a name not remembered yet.
func (cf *config) add(name string) *category {
	if err := rules.CheckCategory(name); err != nil {
		cf.badName(name, err)
		return nil
	}
	// Past the bound, a category with no file is answered without the
	// lock: one stat says there is nothing to honour.
	hasEntry := false
	if cf.filelessFull.Load() {
		if !cf.hasEntry(name) {
			cf.forget(name)
			return nil
		}
		hasEntry = true
	}
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if v, ok := cf.categories.Load(name); ok {
		return v.(*category)
	}
	if cf.kept >= maxFilelessCategories && !hasEntry && !cf.hasEntry(name) {
		cf.forget(name)
		return nil
	}
	c := newCategory(cf, strings.Clone(name))
	cf.categories.Store(c.name, c)
	cf.kept++
	if cf.kept >= maxFilelessCategories {
		cf.filelessFull.Store(true)
	}
	return c
}

// forget answers a category that is not remembered: there is no file.
func (cf *config) forget(name string) {
	if cf.warnedFull.CompareAndSwap(false, true) {
		logger.Warningf("IsActive(%q, ...): %d categories are remembered already: from now on a new category with no file in %s is looked up afresh on each call, and remembered once it has one",
			name, maxFilelessCategories, cf.wrenchDir)
	}
	if logger.IsTraceEnabled() {
		logger.Tracef("no file %s", filepath.Join(cf.wrenchDir, name))
	}
}

// badName logs a bad category name once, remembering it, while fewer than
// maxInvalidNames are remembered; past that, it logs once that later bad
// names are not logged.
func (cf *config) badName(name string, err error) {
	if cf.invalidFull.Load() {
		return
	}
	cf.mu.Lock()
	defer cf.mu.Unlock()
	key := memoKey(name)
	if _, ok := cf.categories.Load(key); ok {
		return
	}
	if cf.invalid >= maxInvalidNames {
		if !cf.invalidFull.Swap(true) {
			logger.Errorf("IsActive(%q, ...): %v: no file outside %s is ever read; %d bad category names were logged already, later ones are not",
				name, err, cf.wrenchDir, maxInvalidNames)
		}
		return
	}
	cf.invalid++
	cf.categories.Store(strings.Clone(key), (*category)(nil))
	logger.Errorf("IsActive(%q, ...): %v: no file outside %s is ever read", name, err, cf.wrenchDir)
}

// retire releases what the config holds open once SetDataDir has replaced
// it. Calls still running on it finish as if the files were gone.
func (cf *config) retire() {
	cf.dir.close()
}

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
