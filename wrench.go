package wrench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/juju/errors"
	"github.com/juju/loggo/v2"

	"github.com/go-wrench/wrench/internal/cloudinit"
	"github.com/go-wrench/wrench/internal/live"
	"github.com/go-wrench/wrench/internal/nowrench"
	"github.com/go-wrench/wrench/internal/rules"
	"github.com/go-wrench/wrench/internal/store"
	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
	"github.com/go-wrench/wrench/internal/watch"
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

	// inUse is the data directory in use, with everything cached from it.
	inUse atomic.Pointer[dataDirState]

	// seed is where every rule's chance draws start: WRENCH_SEED when
	// the environment gives one, random otherwise.
	seed = seedFromEnvironment()

	// exact is whether every call looks at the disk itself (exact mode)
	// rather than answering from the watched snapshot: WRENCH_EXACT=1 in
	// the environment at start-up, or SetExact.
	exact atomic.Bool
)

// SeedVariable is the environment variable that fixes the seed of chance
// draws, so a run can be replayed with the same decisions.
const SeedVariable = "WRENCH_SEED"

// Seed is the seed of this process's chance draws: the decimal value of
// WRENCH_SEED in its environment at start-up, or a random one. Each rule
// draws from its own stream, made from the seed, its category and its
// feature, so one rule's draws never shift another's, and a process
// started again with WRENCH_SEED set to this value makes the same
// decisions for the same sequence of calls. A chance rule's first firing
// in each file state logs it.
func Seed() uint64 { return seed }

// seedFromEnvironment reads WRENCH_SEED, or draws a seed when it is unset
// or not a number (which is logged: a replay that silently used another
// seed would mislead).
func seedFromEnvironment() uint64 {
	text, ok := os.LookupEnv(SeedVariable)
	if !ok {
		return rand.Uint64()
	}
	n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 64)
	if err != nil {
		drawn := rand.Uint64()
		logger.Warningf("%s=%q is not a whole number from 0 to %d: using the random seed %d instead", SeedVariable, text, uint64(math.MaxUint64), drawn)
		return drawn
	}
	return n
}

func init() {
	exact.Store(os.Getenv(ExactVariable) == "1")
	enabled.Store(true)
	ch := make(chan struct{})
	wake.Store(&ch)
	inUse.Store(newDataDirState(defaultDataDir()))
}

// IsActive reports whether the rule for feature in category says this call
// should fail: true when the category file in the wrench directory has a
// trusted line for feature whose trigger fires now.
//
// It never returns an error and never panics, except for the panic action.
// It blocks only for the sleep and pause actions. It is safe for concurrent
// use. When wrench is disabled, or built with the nowrench tag, it returns
// false at once.
//
// It answers from the watched snapshot, or in exact mode from the disk as
// it is now: see SetExact. In watched mode the first enabled call starts
// the watcher and the first call of each category reads its file, both
// before they answer; every later call looks the category up in memory.
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
		inUse.Load().resumePublishing()
		logger.Tracef("enabled")
	case !on && previous:
		enabled.Store(false)
		close(*wake.Load())
		inUse.Load().stopWatching()
		inUse.Load().stopPublishing()
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
	old := inUse.Swap(newDataDirState(dataDir))
	old.retire()
	return old.dataDir
}

// DataDir returns the data directory in use: /var/lib unless SetDataDir
// changed it (%ProgramData% on Windows).
func DataDir() string {
	return inUse.Load().dataDir
}

// ExactVariable is the environment variable that chooses exact mode: with
// WRENCH_EXACT=1 every IsActive looks at the disk itself.
const ExactVariable = "WRENCH_EXACT"

// SetExact chooses how IsActive sees the disk, for the whole process, and
// returns the previous choice.
//
// By default (watched mode) IsActive answers from a snapshot of the
// category files it has verified, kept fresh by a watcher: one fsnotify
// watcher and one goroutine per process, started by the first enabled
// call.
// A write this process makes through Set, Unset, Release, Apply or Clear
// is seen by its very next call; a write by another process as soon as
// the watcher hears of it (well under a millisecond while a CPU is free),
// and within a second whatever happens, for the watcher also looks at
// every category twice a second; Sync waits for every earlier change.
//
// In exact mode (SetExact(true), or WRENCH_EXACT=1 in the environment at
// start-up) every call looks at the disk itself: a change between two
// calls changes the second answer, at the price of one or two system
// calls per call. Exact mode is also what a process falls back to when
// the platform or the process cannot watch (no inotify instance left,
// say), which is logged once at WARNING with the reason.
//
// Both modes apply the very same trust checks to what they read: the
// snapshot never holds a rule the per-call check would have refused when
// the file was read. Turning exact mode on stops the watcher; turning it
// off lets the next call start one.
func SetExact(on bool) (previous bool) {
	switchMu.Lock()
	defer switchMu.Unlock()
	previous = exact.Swap(on)
	if on && !previous {
		inUse.Load().stopWatching()
	}
	return previous
}

// IsExact reports whether exact mode is chosen (see SetExact). A process
// that chose watched mode but cannot watch falls back to exact mode
// without changing this.
func IsExact() bool { return exact.Load() }

// Sync returns once every change made to the wrench directory before it
// was called is visible to this process's IsActive: it looks at every
// category this process has asked about, as the watcher would. In exact
// mode, or before the first call, it has nothing to do: those calls look
// at the disk themselves. Tests that change files by other means than
// this package's writers call it before they ask.
func Sync() {
	dd := inUse.Load()
	dd.watchMu.Lock()
	defer dd.watchMu.Unlock()
	if dd.watcher != nil {
		dd.verify(nil, true)
	}
}

// wrenchDir is the directory holding the category files.
func wrenchDir(dataDir string) string {
	return filepath.Join(dataDir, "wrench")
}

// isActive is IsActive once the switch is known to be on.
func isActive(categoryName, feature string) bool {
	for {
		dd := inUse.Load()
		var cat *category
		var snap *snapshot
		if v := dd.view.Load(); v != nil {
			// Watched: a load of the view and one lookup in it, written
			// here rather than called, for it is all an idle call does.
			var known bool
			if cat, known = v.find(categoryName); !known {
				cat = dd.unseen(categoryName)
			}
			if cat != nil {
				snap = cat.snap.Load().usable()
			}
		} else {
			cat, snap = dd.lookupUnwatched(categoryName)
		}
		if snap == nil {
			return false
		}
		cat.markRead()
		lr := snap.rule(feature)
		if lr == nil {
			cat.asked(snap, feature)
			return false
		}
		if lr.unruled {
			lr.stats.unfired.Add(1)
			return false
		}
		if lr.askedAs.Load() == nil {
			lr.askedAs.Store(unsafe.StringData(feature))
		}
		active, again := cat.fire(dd, snap, lr)
		if !again {
			return active
		}
	}
}

// lookupUnwatched returns the category named and its usable snapshot, or
// a nil snapshot when there is nothing to honour, while no watcher runs.
// In watched mode it starts one (the first enabled call does, and it
// verifies everything first) and answers from its view; in exact mode,
// or where no watcher can start, it looks at the disk (lookupExact).
// Watched calls never come here: isActive looks them up in the view
// itself, and only a name never asked before takes a slower path
// (unseen).
func (dd *dataDirState) lookupUnwatched(name string) (*category, *snapshot) {
	if dd.exactMode() {
		return dd.lookupExact(name)
	}
	v := dd.startWatching()
	if v == nil {
		return dd.lookupExact(name)
	}
	cat, known := v.find(name)
	if !known {
		cat = dd.unseen(name)
	}
	if cat == nil {
		return nil, nil
	}
	return cat, cat.snap.Load().usable()
}

// lookupExact is the lookup of exact mode: what is on disk now.
func (dd *dataDirState) lookupExact(name string) (*category, *snapshot) {
	cat := dd.category(name)
	if cat == nil {
		return nil, nil
	}
	snap := cat.current(dd)
	if snap == nil {
		cat.forget() // a gap: the rules read next start fresh
		return nil, nil
	}
	return cat, snap
}

// exactMode reports whether this process's calls look at the disk
// themselves (SetExact, WRENCH_EXACT=1, or no watch could be placed)
// rather than answer from the watched snapshot. Such a process serves
// each category file as it is at each call, so its live state counts as
// serving the file as it is now, whatever version it last showed.
func (dd *dataDirState) exactMode() bool {
	return exact.Load() || dd.cannotWatch.Load()
}

// startWatcher starts a watcher; tests make it fail.
var startWatcher = watch.Start

// deafWatchers makes watchers ignore what they hear, so that only Sync
// and this process's own writes change a snapshot: tests set it to prove
// they call Sync wherever watched mode needs it.
var deafWatchers atomic.Bool

// rescanInterval is how often the watcher looks at every category
// whatever the events said: half the one second a change may take at
// worst, so a late tick on a loaded machine still keeps the bound. Tests
// lengthen it to prove what the events alone do.
var rescanInterval = 500 * time.Millisecond

// view is what a watched call looks a category up in: every category the
// data directory state remembers (see dataDirState.categories), with a nil
// for each bad name already logged. It never changes once published; a
// name asked for the first time publishes a new one. The snapshot of
// each category is kept fresh in place by the watcher, so a change to a
// file needs no new view.
//
// Categories without a file are in it too, so that a call of a category
// with no file and a call of one with rules cost the same one lookup, and
// a bad name is told from a good one without checking it again.
//
// A process asks few categories, as a rule, and asks them from the start:
// the first smallView categories asked are kept in a slice, looked
// through in order, which for a handful costs a few length comparisons
// where a map would hash the name. Every category is in a map too, once
// there are more: a process that asks thousands (names built from data)
// pays the hash for the later ones, and its first ones cost what they
// cost before it asked the others.
type view struct {
	few  []viewEntry
	many map[string]*category // every category, or nil when few holds them all
}

// viewEntry is one category of a small view. asked is the string a call
// first asked it with, as given: call sites pass string literals, which
// share one address in the binary, so a call passing that very string is
// recognised by its address and length, without comparing its bytes.
// Holding it keeps its memory from being reused for other bytes while the
// view can compare addresses with it.
type viewEntry struct {
	name  string
	asked string
	cat   *category
}

// smallView is the most categories a view looks through in order.
const smallView = 8

// find returns the named category, and whether the view has the name.
func (v *view) find(name string) (*category, bool) {
	for i := range v.few {
		e := &v.few[i]
		if len(e.name) == len(name) && (unsafe.StringData(e.asked) == unsafe.StringData(name) || e.name == name) {
			return e.cat, true
		}
	}
	if v.many != nil {
		cat, ok := v.many[name]
		return cat, ok
	}
	return nil, false
}

// startWatching starts the watcher, unless this process looks at the disk
// on every call, wrench is disabled, or the state is retired, and returns
// the view it published, or nil. It verifies every category it remembers
// itself before it returns, so the view answers right at once.
func (dd *dataDirState) startWatching() *view {
	dd.watchMu.Lock()
	defer dd.watchMu.Unlock()
	if v := dd.view.Load(); v != nil {
		return v
	}
	if dd.retired.Load() || !enabled.Load() || dd.exactMode() {
		return nil
	}
	var w *watch.Watcher
	w, err := startWatcher(watch.Config{
		DataDir:  dd.dataDir,
		Dir:      dd.wrenchDir,
		Interval: rescanInterval,
		Wanted:   func(name string) bool { return rules.CheckCategory(name) == nil },
		Report: func(ch watch.Changes) {
			dd.watchMu.Lock()
			defer dd.watchMu.Unlock()
			if dd.watcher == w && !deafWatchers.Load() { // not stopped meanwhile
				dd.verify(ch.Names, ch.All)
			}
		},
		// A watch lost and not placed again leaves changes unheard until
		// the next tick: look at the disk on every call instead, as where
		// none could be placed at the start. Not on the watcher's
		// goroutine, which stopping it waits for.
		Failed: func(err error) {
			if dd.cannotWatch.CompareAndSwap(false, true) {
				logger.Warningf("cannot watch %s (%v): every IsActive call looks at the disk itself, as with %s=1", dd.wrenchDir, err, ExactVariable)
				go dd.stopWatching()
			}
		},
	})
	if err != nil {
		dd.cannotWatch.Store(true)
		logger.Warningf("cannot watch %s (%v): every IsActive call looks at the disk itself, as with %s=1", dd.wrenchDir, err, ExactVariable)
		return nil
	}
	dd.watcher = w
	done := make(chan struct{})
	dd.watchDone.Store(&done)
	dd.verify(nil, true)
	return dd.publishView()
}

// stopWatching stops the watcher, if one runs, and wakes the calls paused
// on its events, which go back to looking at the disk themselves.
func (dd *dataDirState) stopWatching() {
	dd.watchMu.Lock()
	w := dd.watcher
	dd.watcher = nil
	dd.view.Store(nil)
	if done := dd.watchDone.Swap(nil); done != nil {
		close(*done)
	}
	dd.watchMu.Unlock()
	if w != nil {
		w.Close() // outside watchMu, which its last report may be waiting for
	}
}

// unseen is the lookup of a name not in the view: it remembers the name (or
// logs it once, when it is bad), verifies a new category's file, and
// publishes a view holding it. Past the bounds on what is remembered it
// answers without remembering, as exact mode does.
func (dd *dataDirState) unseen(name string) *category {
	cat := dd.category(name)
	key := memoKey(name)
	if _, remembered := dd.categories.Load(key); !remembered {
		return cat
	}
	if v := dd.view.Load(); v != nil {
		if _, ok := v.find(key); ok {
			// Published already: a bad name longer than any category,
			// remembered cut short, comes here on every call.
			return cat
		}
	}
	dd.watchMu.Lock()
	defer dd.watchMu.Unlock()
	if v := dd.view.Load(); v == nil || dd.watcher == nil {
		// Stopped meanwhile: look as exact mode does.
		if cat != nil && cat.current(dd) == nil {
			cat.forget()
		}
		return cat
	} else if _, ok := v.find(key); ok {
		return cat // published by another call meanwhile
	}
	if cat != nil {
		cat.askedAs = name
		cat.verify(dd)
	}
	dd.publishView()
	return cat
}

// publishView publishes a view of every category remembered now, keeping
// the first ones of the view it replaces first. Callers hold watchMu.
func (dd *dataDirState) publishView() *view {
	all := map[string]*category{}
	dd.categories.Range(func(k, c any) bool {
		// A bad name (nil) is answered from the view at once; a category
		// only once its file was looked at (see category.verified).
		if cat := c.(*category); cat == nil || cat.verified.Load() {
			all[k.(string)] = cat
		}
		return true
	})
	v := &view{}
	if old := dd.view.Load(); old != nil {
		v.few = append(v.few, old.few...)
	}
	for name, cat := range all {
		if len(v.few) == smallView {
			break
		}
		if !slices.ContainsFunc(v.few, func(e viewEntry) bool { return e.name == name }) {
			v.few = append(v.few, viewEntry{name: name, cat: cat})
		}
	}
	for i := range v.few {
		if cat := v.few[i].cat; cat != nil {
			v.few[i].asked = cat.askedAs
		}
	}
	if len(all) > len(v.few) {
		v.many = all
	}
	dd.view.Store(v)
	return v
}

// verify looks at the named categories' files again, or at every
// remembered category's when all is true, with exactly the checks of a
// call in exact mode. Names not remembered are not asked by this process
// and are left alone. Callers hold watchMu, which orders every
// verification: what one finds is never overwritten by an older look.
func (dd *dataDirState) verify(names []string, all bool) {
	if all {
		dd.categories.Range(func(_, c any) bool {
			if cat := c.(*category); cat != nil {
				cat.verify(dd)
			}
			return true
		})
		return
	}
	for _, name := range names {
		if c, ok := dd.categories.Load(name); ok && c.(*category) != nil {
			c.(*category).verify(dd)
		}
	}
}

// verify brings the category's snapshot up to date with its file, as a
// call in exact mode would, without marking the category read.
func (c *category) verify(dd *dataDirState) {
	if c.current(dd) == nil {
		c.forget()
	}
	c.verified.Store(true)
}

// wrote makes what a writer of this process just did in dataDir visible
// to the next call: it verifies the named categories, or every one when
// none is named.
func wrote(dataDir string, names ...string) {
	dd := inUse.Load()
	if dd.dataDir != dataDir {
		return
	}
	dd.watchMu.Lock()
	defer dd.watchMu.Unlock()
	if dd.watcher != nil {
		dd.verify(names, len(names) == 0)
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

// dataDirState is everything wrench holds for one data directory. SetDataDir
// replaces it whole, which is how every cache and count is dropped.
type dataDirState struct {
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

	// stateChanged holds a token when the live state of a category this
	// process reads has changed since it was last published: the
	// publisher waits on it, so changes made while it writes coalesce.
	stateChanged chan struct{}

	// reading is whether any category is read (see category.read): the
	// process has a live state to publish while wrench is enabled.
	reading atomic.Bool
	pubMu   sync.Mutex      // guards pub
	pub     *live.Publisher // publishing the live state; nil when not

	// retired is whether SetDataDir replaced this state: no watcher or
	// publisher starts again. It is set before either is stopped, and
	// each checks it under its own lock before starting.
	retired atomic.Bool

	// view is what watched calls look categories up in; nil while no
	// watcher runs (exact mode, disabled, not started yet, retired).
	view atomic.Pointer[view]
	// cannotWatch is whether a watcher could not be started, or could
	// not place a watch again later: calls look at the disk themselves
	// from then on.
	cannotWatch atomic.Bool
	// watchDone is closed when the watcher stops, waking the calls paused
	// on its events; nil while none runs.
	watchDone atomic.Pointer[chan struct{}]

	// watchMu serialises starting and stopping the watcher, publishing
	// views and every verification made for watched calls.
	watchMu sync.Mutex
	watcher *watch.Watcher // the one running, or nil
}

func newDataDirState(dataDir string) *dataDirState {
	dir := wrenchDir(dataDir)
	return &dataDirState{
		dataDir:      dataDir,
		wrenchDir:    dir,
		wrenchDirz:   append([]byte(dir), 0),
		euid:         effectiveUser(),
		stateChanged: make(chan struct{}, 1),
	}
}

// category returns the state kept for the named category, or nil when
// there is nothing to honour: the name is not a valid category (which is
// logged once per name, up to maxInvalidNames), or too many categories
// with no file are remembered already and this one has none either.
func (dd *dataDirState) category(name string) *category {
	if v, ok := dd.categories.Load(memoKey(name)); ok {
		return v.(*category)
	}
	return dd.add(name)
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
func (dd *dataDirState) add(name string) *category {
	if err := rules.CheckCategory(name); err != nil {
		dd.badName(name, err)
		return nil
	}
	// Past the bound, a category with no file is answered without the
	// lock: one stat says there is nothing to honour.
	hasEntry := false
	if dd.filelessFull.Load() {
		if !dd.hasEntry(name) {
			dd.notKept(name)
			return nil
		}
		hasEntry = true
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	if v, ok := dd.categories.Load(name); ok {
		return v.(*category)
	}
	if dd.kept >= maxFilelessCategories && !hasEntry && !dd.hasEntry(name) {
		dd.notKept(name)
		return nil
	}
	c := newCategory(dd, strings.Clone(name))
	dd.categories.Store(c.name, c)
	dd.kept++
	if dd.kept >= maxFilelessCategories {
		dd.filelessFull.Store(true)
	}
	return c
}

// notKept answers a category that is not remembered: there is no file.
// It only logs: the first time, that categories are no longer remembered.
func (dd *dataDirState) notKept(name string) {
	if dd.warnedFull.CompareAndSwap(false, true) {
		logger.Warningf("IsActive(%q, ...): %d categories are remembered already: from now on a new category with no file in %s is looked up afresh on each call, and remembered once it has one",
			name, maxFilelessCategories, dd.wrenchDir)
	}
	if logger.IsTraceEnabled() {
		logger.Tracef("no file %s", filepath.Join(dd.wrenchDir, name))
	}
}

// badName logs a bad category name once, remembering it, while fewer than
// maxInvalidNames are remembered; past that, it logs once that later bad
// names are not logged.
func (dd *dataDirState) badName(name string, err error) {
	if dd.invalidFull.Load() {
		return
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	key := memoKey(name)
	if _, ok := dd.categories.Load(key); ok {
		return
	}
	if dd.invalid >= maxInvalidNames {
		if !dd.invalidFull.Swap(true) {
			logger.Errorf("IsActive(%q, ...): %v: no file outside %s is ever read; %d bad category names were logged already, later ones are not",
				name, err, dd.wrenchDir, maxInvalidNames)
		}
		return
	}
	dd.invalid++
	dd.categories.Store(strings.Clone(key), (*category)(nil))
	logger.Errorf("IsActive(%q, ...): %v: no file outside %s is ever read", name, err, dd.wrenchDir)
}

// retire releases what the dataDirState holds open once SetDataDir has replaced
// it. Calls still running on it finish as if the files were gone.
func (dd *dataDirState) retire() {
	dd.retired.Store(true)
	dd.stopWatching()
	dd.stopPublishing()
	dd.dir.close()
}

// category is what wrench keeps for one category of one data directory.
type category struct {
	owner *dataDirState
	name  string
	path  string
	file  catFile // what the platform keeps to find the file fast

	snap atomic.Pointer[snapshot] // the last state read, trusted or refused

	mu sync.Mutex // serialises reloads

	// lastFailure is the last failure to look at the file that was
	// logged, so each is logged once. It is read on every call while the
	// failure lasts, so it takes no lock.
	lastFailure atomic.Pointer[string]

	// read is whether IsActive has asked this category and found its
	// file: only such categories have a live state to publish. A watcher
	// that loads every file does not make a process a reader of them.
	read atomic.Bool
	// dirty is whether the category's live state changed since it was
	// last published. Calls set it only when it is clear, so a category
	// firing in a loop writes it once per publication, and calls of other
	// categories never touch it.
	dirty atomic.Bool
	// askedFull is whether maxUnruled features without a rule are
	// remembered already; calls of further ones are only counted, in
	// unruledOthers.
	askedFull     atomic.Bool
	unruledOthers atomic.Uint64

	// askedAs is the very string the call that made the category
	// remembered in watched mode asked with (not a copy): see viewEntry.
	// Set and read under the owner's watchMu.
	askedAs string
	// verified is whether a verification made for watched calls has
	// looked at this category's file: only then may a view hold it, so a
	// category remembered by one call is never answered from the view
	// by another before its file was read. Set under watchMu.
	verified atomic.Bool

	// changes is closed, and replaced, when the snapshot changes to
	// another file state or is dropped: watched paused calls wait on it.
	changes atomic.Pointer[chan struct{}]
}

// maxUnruled bounds how many features asked of a category that have no
// rule in its file are remembered, with their call counts, per category.
const maxUnruled = 32

func newCategory(dd *dataDirState, name string) *category {
	path := filepath.Join(dd.wrenchDir, name)
	c := &category{owner: dd, name: name, path: path, file: newCatFile(name, path)}
	ch := make(chan struct{})
	c.changes.Store(&ch)
	return c
}

// changeSignal is closed when the category's snapshot next changes.
func (c *category) changeSignal() <-chan struct{} { return *c.changes.Load() }

// signalChange wakes the calls waiting on changeSignal.
func (c *category) signalChange() {
	ch := make(chan struct{})
	close(*c.changes.Swap(&ch))
}

// current returns the usable snapshot of the category file as it is on
// disk now, or nil when there is nothing to honour (no directory, no file,
// refused). The platform half looks (onDisk, then reload when the file is
// in a state not seen yet); this half decides what the look means, and
// builds, logs and keeps the snapshots.
//
// The common cases cost what onDisk costs. On unix that is one system call
// when there is no directory or no file, and two when the file is
// unchanged (a stat of its path, and a stat of the wrench directory's path,
// which must still name the directory the file was read from). On Windows
// it is two opens and two security descriptors read: see catFile there.
func (c *category) current(dd *dataDirState) *snapshot {
	o, ok, err := c.onDisk(dd)
	if !ok {
		if err != nil {
			c.failed(err)
		}
		return nil
	}
	defer o.close()
	if s := c.snap.Load(); s != nil && s.key == o.key {
		if s.rules == nil {
			return nil // refused in this very state, and logged then
		}
		if o.dirTrusted(dd) {
			return s
		}
	}
	return c.refresh(dd, o)
}

// found is what the platform's reload found of a category file.
type found struct {
	what   foundWhat
	key    sys.FileKey // the file's state, when foundRefused or foundRead
	data   []byte      // the file's content, when foundRead
	reason string      // why, when foundRefused or foundFailed
}

// foundWhat says what a reload found.
type foundWhat int

const (
	// foundNothing: nothing to honour (no trusted directory, or the file
	// went meanwhile); anything worth logging was logged.
	foundNothing foundWhat = iota
	// foundSame: the file is in the state the caller keeps; nothing read.
	foundSame
	// foundRefused: the file, in state key, is not trusted, for reason.
	foundRefused
	// foundRead: the file, in state key, is trusted and its content is data.
	foundRead
	// foundFailed: the file could not be read this time, for reason, which
	// may pass (no descriptor left, a read error): nothing is remembered.
	foundFailed
)

// refresh reads the category file afresh, found by onDisk as o, and keeps
// what it found. Reloads of one category are serialised, so the snapshot
// a new one follows is the one stored now.
func (c *category) refresh(dd *dataDirState, o opened) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	reloads.Add(1)
	c.forgetFailure()
	s := c.snap.Load()
	var kept sys.FileKey
	if s != nil {
		if s.key == o.key && s.rules == nil {
			return nil // another call refused this state meanwhile
		}
		kept = s.key
	}
	f := c.reload(dd, o, kept)
	switch f.what {
	case foundNothing:
		return nil
	case foundSame:
		return s.usable() // unchanged: keep its counts
	case foundRefused:
		return c.keep(refusedSnapshot(f.key, c.path, f.reason))
	case foundRead:
		return c.keep(newSnapshot(f.key, c.name, c.path, f.data))
	case foundFailed:
		logger.Errorf("refusing %s: %s", c.path, f.reason)
	}
	return nil
}

// changed reports whether the category file is no longer the one snap was
// read from, or its directory is no longer trusted.
func (c *category) changed(dd *dataDirState, snap *snapshot) bool {
	o, ok, _ := c.onDisk(dd)
	if !ok {
		return true
	}
	defer o.close()
	return o.key != snap.key || !o.dirTrusted(dd)
}

// failed logs, once until it changes, why the category file cannot be
// looked at, in the words Check uses.
func (c *category) failed(err error) {
	last := c.lastFailure.Load()
	if last != nil && *last == err.Error() {
		return // logged already
	}
	msg := err.Error() // on the heap only once there is something to log
	if !c.lastFailure.CompareAndSwap(last, &msg) {
		return // a call that raced this one logs it
	}
	logger.Errorf("refusing %s: %s", c.path, trust.CannotOpen(err))
}

// forgetFailure forgets the failure logged last, so that the next one is
// logged even if it is the same: the file has been looked at since.
func (c *category) forgetFailure() {
	c.lastFailure.Store(nil)
}

// markRead records that IsActive asked for this category and found its
// file, which makes it part of the process's live state. After the first
// call it costs one load and writes nothing.
func (c *category) markRead() {
	if !c.read.Load() && c.read.CompareAndSwap(false, true) {
		c.markDirty()
		c.owner.reading.Store(true)
		c.owner.startPublishing()
	}
}

// markDirty records that the category's live state changed, for the
// publisher, if it is read. It writes only when the category is not
// marked already, and then wakes the publisher without waiting for it.
func (c *category) markDirty() {
	if !c.read.Load() || c.dirty.Load() || !c.dirty.CompareAndSwap(false, true) {
		return
	}
	select {
	case c.owner.stateChanged <- struct{}{}:
	default: // a change waits to be published already
	}
}

// asked remembers that feature, which has no rule in snap, was asked,
// so the live state can show it (the typo case: the agent asks
// "refuse-upgrade", the file says "refuse-upgrad"). The first call of such
// a feature in a file state copies the rule map with a placeholder for
// it; later ones count on the placeholder like any rule. Past
// maxUnruled features, calls are counted together and nothing is copied.
func (c *category) asked(snap *snapshot, feature string) {
	if c.askedFull.Load() {
		c.unruledOthers.Add(1)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.snap.Load(); now != snap {
		// Another call added a placeholder, or the file changed: count
		// this call on the placeholder if there is one now.
		if lr := now.usableRules()[feature]; lr != nil && lr.unruled {
			lr.stats.unfired.Add(1)
		}
		return
	}
	if snap.unruled() >= maxUnruled {
		c.askedFull.Store(true)
		c.unruledOthers.Add(1)
		return
	}
	grown := snap.withRules(len(snap.rules) + 1)
	placeholder := &liveRule{unruled: true, stats: &ruleStats{}}
	placeholder.Feature = strings.Clone(feature)
	placeholder.stats.unfired.Store(1)
	grown.rules[placeholder.Feature] = placeholder
	grown.index()
	// Only over the very snapshot copied: forget takes no lock, and a
	// file found gone meanwhile must stay gone.
	if !c.snap.CompareAndSwap(snap, grown) {
		return
	}
	c.markDirty()
}

// dirRefusals logs each refusal of the wrench directory once for each
// state it is refused in, until the directory is trusted again.
type dirRefusals struct {
	any  atomic.Bool // a refusal is remembered, which trusted forgets
	mu   sync.Mutex
	last dirLogged // the last refusal logged
}

// dirLogged is a logged refusal of the wrench directory: its state (zero
// when it is not known) and why.
type dirLogged struct {
	key    sys.FileKey
	reason string
}

// refuse logs that the wrench directory at path, in state key, is refused
// for reason, unless that very refusal was the last one logged.
func (r *dirRefusals) refuse(path string, key sys.FileKey, reason string) {
	l := dirLogged{key: key, reason: reason}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.any.Load() && l == r.last {
		return
	}
	r.last = l
	r.any.Store(true)
	logger.Errorf("refusing wrench directory %s: %s", path, reason)
}

// trusted says the wrench directory was found trusted: a later refusal,
// even of a state refused before, is news and is logged.
func (r *dirRefusals) trusted() {
	if !r.any.Load() {
		return
	}
	r.mu.Lock()
	r.last = dirLogged{}
	r.any.Store(false)
	r.mu.Unlock()
}

// snapshot is one state of a category file, as read and verified: the file
// identity it was read at, and its rules. A new state of the file
// (rewritten, touched, replaced, chmod, chown) gets a new snapshot, but a
// rule whose line is unchanged keeps its counts in it: see keep.
type snapshot struct {
	key     sys.FileKey
	path    string
	digest  string               // SHA-256 of the content, hex: the version served; "" when refused
	rules   map[string]*liveRule // nil when the file was refused
	refused string               // why the file was refused, for the live state

	// few is every rule of rules when there are at most maxFewRules,
	// which a call looks through rather than hash the feature's name;
	// nil when there are more (or none).
	few []*liveRule
}

// unruled is how many placeholders of features asked without a rule s
// holds.
func (s *snapshot) unruled() int {
	n := 0
	for _, lr := range s.rules {
		if lr.unruled {
			n++
		}
	}
	return n
}

// maxFewRules is how many rules a call looks through in turn before a
// map lookup costs less: comparing a name's length, and then its bytes,
// to a handful of others is cheaper than hashing it.
const maxFewRules = 8

// index makes few agree with rules. It is called on a snapshot no call
// reads yet, once its rules are final.
func (s *snapshot) index() {
	s.few = nil
	if len(s.rules) == 0 || len(s.rules) > maxFewRules {
		return
	}
	s.few = make([]*liveRule, 0, len(s.rules))
	for _, lr := range s.rules {
		s.few = append(s.few, lr)
	}
}

// rule is the rule for feature, or the placeholder of a feature asked
// that has none, or nil.
func (s *snapshot) rule(feature string) *liveRule {
	if s.few != nil {
		for _, lr := range s.few {
			// By address first: call sites pass string literals, so the
			// very string a call first matched with is the one later
			// calls pass (see liveRule.askedAs).
			if len(lr.Feature) == len(feature) && (unsafe.StringData(feature) == lr.askedAs.Load() || lr.Feature == feature) {
				return lr
			}
		}
		return nil
	}
	return s.rules[feature]
}

// withRules is a copy of s whose rule map, shared by nothing else, has
// room for n rules: the way a snapshot in use gains a rule without a call
// reading it ever seeing a map being written.
func (s *snapshot) withRules(n int) *snapshot {
	grown := *s
	grown.rules = make(map[string]*liveRule, n)
	for feature, lr := range s.rules {
		grown.rules[feature] = lr
	}
	return &grown
}

// newSnapshot makes the snapshot of a trusted file and logs, once for this
// file state, each line that does not count. Its rules start fresh until
// keep gives them the state of the snapshot they follow.
func newSnapshot(key sys.FileKey, category, path string, data []byte) *snapshot {
	pf := rules.ParseFile(path, data)
	for _, p := range pf.Problems {
		logger.Warningf("skipping %v", p)
	}
	live := make(map[string]*liveRule, len(pf.Rules))
	for _, r := range pf.Rules {
		live[r.Feature] = &liveRule{Live: rules.NewLive(r, rules.StreamKey(seed, category, r.Feature)), stats: &ruleStats{}}
	}
	sum := sha256.Sum256(data)
	return &snapshot{key: key, path: path, digest: hex.EncodeToString(sum[:]), rules: live}
}

// refusedSnapshot is the snapshot of a file that is not trusted in this
// state; it is logged once, when made.
func refusedSnapshot(key sys.FileKey, path, reason string) *snapshot {
	logger.Errorf("refusing %s: %s", path, reason)
	return &snapshot{key: key, path: path, refused: reason}
}

// keep makes s the category's snapshot and returns it if it can be used.
// Callers hold c.mu, so the snapshot s follows is the one stored now.
//
// Counts belong to rules, not to file states: each rule of s whose line
// is unchanged from the category's usable snapshot before it takes over
// that rule's state (see rules.Live.CarryOver). The state is shared, not copied, so a
// call still evaluating the old snapshot and one on the new count on one
// counter and no firing is lost or doubled. After a refusal, or once
// forget has dropped a snapshot because the file was gone or not trusted,
// every rule starts fresh.
//
// What a rule has done (its live state's counters) carries over with an
// unchanged line too, and so do the features asked that have no rule
// while they still have none; a rule whose line changed starts its
// counters afresh, which is what "fired since the line last changed"
// means. Only that the feature was ever asked survives a change, so a
// rule set for a feature the process asked is never taken for a typo.
func (c *category) keep(s *snapshot) *snapshot {
	if prev := c.snap.Load(); prev != nil && s.rules != nil {
		for feature, old := range prev.rules {
			lr := s.rules[feature]
			switch {
			case lr == nil && old.unruled:
				s.rules[feature] = old
			case lr == nil:
			case old.unruled:
				lr.stats.asked.Store(true) // a placeholder is made by a call
			default:
				lr.CarryOver(&old.Live)
				if lr.Trigger == old.Trigger {
					lr.stats = old.stats
				} else if old.stats.asked.Load() || old.stats.evaluated() > 0 {
					lr.stats.asked.Store(true)
				}
			}
		}
	}
	s.index()
	if s.rules != nil {
		// Placeholders carried over may be fewer now that some features
		// have rules: asked names new ones again while there is room.
		c.askedFull.Store(s.unruled() >= maxUnruled)
	}
	c.snap.Store(s)
	c.markDirty()
	c.signalChange()
	return s.usable()
}

// forget drops the category's snapshot when it is a usable one: the
// process found nothing to honour (no file, no trusted directory), so the
// rules it reads next start fresh rather than where they were before the
// gap. A refusal is kept, so an unchanged refused file is neither read nor
// logged again.
//
// It takes no lock, so it loops: a call adding a placeholder (asked) may
// have replaced the usable snapshot with a copy meanwhile, and that copy
// must go too.
func (c *category) forget() {
	for {
		s := c.snap.Load()
		if s == nil || s.rules == nil {
			return
		}
		if c.snap.CompareAndSwap(s, nil) {
			c.markDirty()
			c.signalChange()
			return
		}
	}
}

// usableRules is s's rules, or nil when s is nil or a refusal.
func (s *snapshot) usableRules() map[string]*liveRule {
	if s == nil {
		return nil
	}
	return s.rules
}

// usable is s, or nil when s is nil or a refusal.
func (s *snapshot) usable() *snapshot {
	if s == nil || s.rules == nil {
		return nil
	}
	return s
}

// liveRule is a rule of one file state: the rule and its counts (see
// rules.Live), and whether it has fired in this file state, so its first
// firing is logged at INFO.
//
// A placeholder for a feature asked that has no rule is a liveRule too,
// marked unruled, so that both are found by one lookup on the hot path.
type liveRule struct {
	rules.Live
	logged  atomic.Bool // whether its first firing in this file state was logged
	unruled bool        // no rule: a feature asked that the file does not name
	// askedAs is the bytes of the very string the first call that
	// matched the rule passed (not a copy), which later calls of the same
	// call site pass again: comparing addresses spares comparing bytes.
	askedAs atomic.Pointer[byte]
	stats   *ruleStats // shared with the same line in the file states before and after
}

// ruleStats is what one rule has done in this process, for its live state.
// Each field is written only by calls of this rule, so counting never
// writes a cache line another category's calls read.
type ruleStats struct {
	unfired   atomic.Uint64 // calls that asked for the feature and for which no term fired
	fired     atomic.Uint64 // calls for which a term fired
	paused    atomic.Int64  // calls paused in the rule now
	sleeping  atomic.Int64  // calls sleeping in the rule now
	lastFired atomic.Int64  // when a term first fired since the category's live state was last published, Unix nanoseconds; 0 never
	// asked is whether the feature was asked before this line's
	// counters started: without a rule, or under another trigger.
	asked atomic.Bool
}

// evaluated is how many calls asked for the feature: each either fired a
// term or did not. Counting the two apart costs a call one atomic add
// where counting calls as well would cost two.
func (st *ruleStats) evaluated() uint64 {
	return st.fired.Load() + st.unfired.Load()
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
	// rule's file when no watcher tells it (exact mode, or the watcher
	// stopped). A look costs what an unchanged file costs IsActive in
	// exact mode: on unix two stats, a few microseconds; on Windows two
	// opens and two security descriptors read, several times that. Either
	// way a hundred looks a second is a small share of a core per paused
	// call.
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
func (c *category) fire(dd *dataDirState, snap *snapshot, lr *liveRule) (active, again bool) {
	t := lr.Always()
	if t == nil {
		t = lr.Choose()
	}
	if t == nil {
		lr.stats.unfired.Add(1)
		return false, false
	}
	w := *wake.Load()
	lr.logFiring(c.name, t)
	if !c.dirty.Load() || lr.stats.lastFired.Load() == 0 {
		// Reading the clock costs more than the rest of an armed call
		// (tens of nanoseconds on a VM's clock source), so only the first
		// firing of a rule, and the first since the live state was last
		// published, read it: the publisher shows the last firing to
		// within its own delay.
		lr.stats.lastFired.Store(time.Now().UnixNano())
	}
	// The count comes last of what every firing does: its atomic add
	// holds back the loads after it, and there are fewest here.
	lr.stats.fired.Add(1)
	c.markDirty()
	switch t.Action {
	case rules.On:
		return true, false
	case rules.Sleep:
		lr.stats.sleeping.Add(1)
		c.markDirty()
		sleep(t.Sleep, w)
		lr.stats.sleeping.Add(-1)
		c.markDirty()
	case rules.Pause:
		lr.stats.paused.Add(1)
		c.markDirty()
		again = c.awaitChange(dd, snap, w)
		lr.stats.paused.Add(-1)
		c.markDirty()
		return false, again
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
	if !lr.logged.Load() && lr.logged.CompareAndSwap(false, true) {
		if lr.HasChance() {
			logger.Infof("%s:%s: %s fired (rule %q, line %d, seed %d)", category, lr.Feature, t.Name, lr.Trigger, lr.Line, seed)
			return
		}
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
//
// Watched, it waits for the watcher to change the category's snapshot;
// otherwise, or once the watcher stops, it looks at the file every
// pollInterval.
func (c *category) awaitChange(dd *dataDirState, snap *snapshot, w <-chan struct{}) bool {
	look := false // the call has just looked
	if done := dd.watchDone.Load(); done != nil {
		if again, decided := c.awaitEvent(dd, snap, w, *done); decided {
			return again
		}
		look = true // the watcher stopped: the call has not looked since
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if !look {
			select {
			case <-w:
				return false
			case <-tick.C:
			}
		}
		look = false
		pollHold.RLock()
		disabled := !enabled.Load()
		moved := !disabled && (inUse.Load() != dd || c.changed(dd, snap))
		pollHold.RUnlock()
		if disabled {
			return false
		}
		if moved {
			return true
		}
	}
}

// awaitEvent is awaitChange while the watcher runs: decided is false when
// it stopped (done is closed) before anything else happened.
func (c *category) awaitEvent(dd *dataDirState, snap *snapshot, w, done <-chan struct{}) (again, decided bool) {
	for {
		// The signal is taken before the look, so a change made between
		// the two is not missed.
		changed := c.changeSignal()
		pollHold.RLock()
		disabled := !enabled.Load()
		now := c.snap.Load()
		moved := !disabled && (inUse.Load() != dd || now == nil || now.rules == nil || now.key != snap.key)
		pollHold.RUnlock()
		if disabled {
			return false, true
		}
		if moved {
			return true, true
		}
		select {
		case <-w:
			return false, true
		case <-changed:
		case <-done:
			return false, false
		}
	}
}

// The writer: what the wrench command does, as functions a Go test harness
// calls directly. Each acts on the wrench directory of DataDir() at the
// time of the call, and each goes through the same parser and trust rules
// as IsActive, so nothing is written that IsActive would skip or refuse.
//
// Every write takes the directory's lock (so concurrent writers, in this
// process or others, lose no update), writes a temporary file, syncs it
// and renames it over the category file: a reader sees the old file or
// the new, never half of one, and a write that fails leaves the old file
// as it was. On unix the file is mode 0644 and the directory is synced
// after the rename; on Windows the file inherits the directory's ACL and
// the directory is not synced (NTFS journals the rename). internal/store
// holds the mechanism.

// notCompiledIn is the error every writer returns in a nowrench build.
func notCompiledIn(op string) error {
	return errors.Errorf("wrench.%s: this program is built with the nowrench tag, which ignores every rule, so it writes none", op)
}

// featureTarget checks what a writer of one feature, op, is given and
// returns the category file's path.
func featureTarget(op, category, feature string) (string, error) {
	if nowrench.Tagged {
		return "", notCompiledIn(op)
	}
	path, err := categoryFile(category)
	if err != nil {
		return "", err
	}
	if err := rules.CheckFeature(feature); err != nil {
		return "", errors.Annotatef(err, "%s", path)
	}
	return path, nil
}

// Set arms feature in category with trigger, or with a bare feature line
// (always active) when trigger is "". The feature's line is replaced where
// it stands, keeping its comment; a new one goes at the end. Every other
// line is kept as written.
//
// Counts live in each reading process, per rule, and carry over a rewrite
// for every rule whose line (feature and trigger) is unchanged: setting
// one feature never restarts another's counts, and setting a spent rule to
// the very same trigger leaves it spent. To re-arm a spent rule, set a
// different trigger (even an equivalent one: "1*on" after "1*return"),
// or unset it and set it again once the process has read the file without
// it, or restart the process.
//
// A category, feature or trigger IsActive would refuse or skip is refused
// before anything is written, as is an existing file or directory IsActive
// would not trust, judged for the directory's owner, whose processes (with
// root's) are the ones reading it; Clear removes such a file. The wrench
// directory is created if missing (on unix mode 0755; on Windows with an
// ACL that gives full control to SYSTEM, Administrators and its owner and
// read to Users); the data directory must exist, for every writer.
func Set(category, feature, trigger string) error {
	if nowrench.Tagged {
		return notCompiledIn("Set")
	}
	path, err := categoryFile(category)
	if err != nil {
		return err
	}
	canonical, err := rules.RuleFor(feature, trigger)
	if err != nil {
		return errors.Annotatef(err, "%s", path)
	}
	return editCategory(category, store.EditOrCreate, func(old []byte) ([]byte, bool, error) {
		logger.Debugf("setting %s:%s to %q in %s", category, feature, canonical, path)
		data := rules.SetRule(old, feature, canonical)
		if err := rules.CheckSet(path, data, feature, canonical); err != nil {
			return nil, false, err
		}
		return data, true, nil
	})
}

// Unset removes feature's lines from category. A feature that is not
// there, or a category file or wrench directory that does not exist, is
// not an error, and then nothing is written; a data directory that does
// not exist is.
func Unset(category, feature string) error {
	path, err := featureTarget("Unset", category, feature)
	if err != nil {
		return err
	}
	return editCategory(category, store.EditExisting, func(old []byte) ([]byte, bool, error) {
		data, found := rules.UnsetRule(old, feature)
		if !found {
			return nil, false, nil
		}
		if err := rules.CheckUnset(path, data, feature); err != nil {
			return nil, false, err
		}
		logger.Debugf("unsetting %s:%s in %s", category, feature, path)
		return data, true, nil
	})
}

// Release lets n more calls pass feature's paused rule, and pauses the
// ones after. Calls paused now are evaluated afresh when the file changes:
// n of them, or of the calls that come next, go on (IsActive returns
// false), and the rest pause again.
//
// Releases add up: it writes "K*off->pause", K calls in all, adding n to
// the K of a rule already of that form (so two Release(c, f, 1) write
// "2*off->pause") and writing "n*off->pause" over any other. A process
// that reads the file throughout lets exactly the sum of the releases
// through, whether it read each rewrite or only the last; one that starts
// later reads K and lets K calls through. Setting the rule to "pause"
// starts the sum again from 0.
//
// It is an error when feature has no rule, its rule has no pause, or the
// sum would overflow.
func Release(category, feature string, n int) error {
	path, err := featureTarget("Release", category, feature)
	if err != nil {
		return err
	}
	return editCategory(category, store.EditExisting, func(old []byte) ([]byte, bool, error) {
		r, err := rules.CheckRelease(path, old, feature, n)
		if err != nil {
			return nil, false, err
		}
		trigger, err := rules.ReleaseTrigger(path, r, n)
		if err != nil {
			return nil, false, err
		}
		data := rules.SetRule(old, feature, trigger)
		if err := rules.CheckSet(path, data, feature, trigger); err != nil {
			return nil, false, err
		}
		logger.Debugf("releasing %d calls of %s:%s in %s", n, category, feature, path)
		return data, true, nil
	})
}

// Apply makes rules the whole content of category's file, after checking
// every line as IsActive would parse it. On any problem (a line that does
// not parse, a feature named twice, a file over MaxFileSize) nothing is
// written, and the error names the first problem as file:line. The old
// file need not be trusted: none of it is kept.
func Apply(category string, rules []byte) error {
	if nowrench.Tagged {
		return notCompiledIn("Apply")
	}
	path, err := categoryFile(category)
	if err != nil {
		return err
	}
	if len(rules) > trust.MaxFileSize {
		return store.OverLimit(fmt.Sprintf("%s: %d bytes of rules", path, len(rules)))
	}
	if err := checkApply(path, rules); err != nil {
		return err
	}
	return editCategory(category, store.ReplaceWhole, func([]byte) ([]byte, bool, error) {
		logger.Debugf("applying %d bytes of rules to %s", len(rules), path)
		return rules, true, nil
	})
}

// Clear removes the files of the named categories, or of every category
// when none is named, whether or not IsActive would trust them. Removing a
// file that is not there is not an error. Clearing every category also
// removes temporary files a writer that crashed left behind.
//
// An entry it cannot remove (a directory where a category file would be,
// say) does not stop it: it removes every other one it can, then returns
// an error naming every entry it could not, so a failed Clear never leaves
// some categories armed only because they came later.
func Clear(categories ...string) error {
	if nowrench.Tagged {
		return notCompiledIn("Clear")
	}
	for _, name := range categories {
		if _, err := categoryFile(name); err != nil {
			return err
		}
	}
	dataDir := DataDir()
	dir := wrenchDir(dataDir)
	defer wrote(dataDir, categories...) // even a Clear that failed may have removed some
	d, err := store.Open(dir)
	if err != nil {
		if err := needDataDir(); err != nil {
			return err
		}
	}
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return errors.Annotatef(err, "cannot clear")
	}
	defer d.Close()
	unlock, err := d.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	names := categories
	if len(names) == 0 {
		all, err := d.Names()
		if err != nil {
			return err
		}
		for _, name := range all {
			if rules.CheckCategory(name) == nil || store.IsTempName(name) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
	}
	var failed []error
	removed := false
	for _, name := range names {
		gone, err := d.Remove(name)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		if gone {
			logger.Debugf("removed %s", filepath.Join(dir, name))
		}
		removed = removed || gone
	}
	if removed {
		if err := d.Sync(); err != nil {
			failed = append(failed, err)
		}
	}
	return clearError(failed)
}

// clearError is one error naming every entry Clear could not remove, or
// nil when there were none.
func clearError(failed []error) error {
	switch len(failed) {
	case 0:
		return nil
	case 1:
		return failed[0]
	}
	msgs := make([]string, len(failed))
	for i, err := range failed {
		msgs[i] = err.Error()
	}
	return errors.Errorf("%d entries not cleared: %s", len(failed), strings.Join(msgs, "; "))
}

// needDataDir says that the data directory does not exist, or is not a
// directory: see store.NeedDataDir.
func needDataDir() error { return store.NeedDataDir(DataDir()) }

// categoryFile is the path of category's file in the wrench directory of
// DataDir(), or why category is not a name IsActive would read.
func categoryFile(category string) (string, error) {
	dir := wrenchDir(DataDir())
	if err := rules.CheckCategory(category); err != nil {
		return "", errors.Annotatef(err, "%s", dir)
	}
	return filepath.Join(dir, category), nil
}

// checkApply says why data may not be a category file's whole content,
// naming its first problem, or nil.
func checkApply(path string, data []byte) error {
	if pf := rules.ParseFile(path, data); len(pf.Problems) > 0 {
		return problemsError(pf.Problems)
	}
	return nil
}

// problemsError reports the first problem of a file's lines, and how many
// more there are, on one line.
func problemsError(problems []rules.Problem) error {
	if more := len(problems) - 1; more > 0 {
		return errors.Errorf("%v (and %d more %s): nothing written", problems[0], more, plural(more, "problem", "problems"))
	}
	return errors.Errorf("%v: nothing written", problems[0])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// editCategory runs store.Edit, the one path every write of a category
// file takes, on category's file in the wrench directory of DataDir().
//
// Whatever it did is visible to this process's next call: the category
// is verified again before it returns.
func editCategory(category string, mode store.EditMode, change store.Change) error {
	dataDir := DataDir()
	defer wrote(dataDir, category)
	return store.Edit(dataDir, wrenchDir(dataDir), category, mode, change)
}

// CategoryFile is what one category file says, as List reads it.
type CategoryFile struct {
	// Category is the category's name, which is the file's name.
	Category string
	// Path is the file's path.
	Path string
	// Rules are the file's rules in file order, as IsActive parses them.
	Rules []Rule
	// Problems are the lines IsActive skips, with why.
	Problems []Problem
	// Unreadable says why the file could not be read as rules (it is not
	// a regular file, or is over MaxFileSize); "" when it was.
	Unreadable string
	// BOM is whether the file starts with a UTF-8 byte-order mark, which
	// IsActive skips: it is not part of the first feature's name.
	BOM bool
}

// Rule is one valid line of a category file: a feature and what arms it.
type Rule struct {
	// Feature is the name the call site passes to IsActive.
	Feature string
	// Trigger is the trigger in canonical form; "on" for a bare feature.
	Trigger string
	// Line is the line's number in its file, counting from 1.
	Line int
}

// Problem is a line of a category file that does not parse, or a rule that
// names a feature an earlier line already named. Its Error reads
// "file:line: reason".
type Problem struct {
	// Path is the category file's path.
	Path string
	// Line is the line's number, counting from 1.
	Line int
	// Text is the line as written, without its line ending.
	Text string
	// Reason says why the line does not count.
	Reason string
}

// Error implements error.
func (p Problem) Error() string {
	return rules.Problem(p).Error()
}

// exportRules gives the parser's rules as the API shows them: what the
// line says, without the parsed trigger only evaluation needs.
func exportRules(in []rules.Rule) []Rule {
	if in == nil {
		return nil
	}
	out := make([]Rule, len(in))
	for i, r := range in {
		out[i] = Rule{Feature: r.Feature, Trigger: r.Trigger, Line: r.Line}
	}
	return out
}

// exportProblems gives the parser's problems as the API shows them.
func exportProblems(in []rules.Problem) []Problem {
	if in == nil {
		return nil
	}
	out := make([]Problem, len(in))
	for i, p := range in {
		out[i] = Problem(p)
	}
	return out
}

// List reads the files of the named categories in the order named, or of
// every category in name order when none is named. A named category
// without a file is left out. List says what the files say; whether
// IsActive in a given process would honour them is Check's business.
//
// List never follows a symbolic link and never opens anything but a
// regular file. A wrench directory that does not exist holds no rules.
func List(categories ...string) ([]CategoryFile, error) {
	if err := needDataDir(); err != nil {
		return nil, err
	}
	for _, name := range categories {
		if _, err := categoryFile(name); err != nil {
			return nil, err
		}
	}
	d, err := store.OpenToLook(wrenchDir(DataDir()))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list")
	}
	defer d.Close()
	names, err := categoryNames(d, categories)
	if err != nil {
		return nil, err
	}
	var files []CategoryFile
	for _, name := range names {
		fs, err := d.Look(name)
		if err != nil {
			return nil, err
		}
		if !fs.Exists {
			continue
		}
		cf := CategoryFile{Category: name, Path: fs.Path, Unreadable: fs.Unreadable}
		if fs.Content != nil {
			pf := rules.ParseFile(fs.Path, fs.Content)
			cf.Rules, cf.Problems, cf.BOM = exportRules(pf.Rules), exportProblems(pf.Problems), pf.BOM
		}
		files = append(files, cf)
	}
	return files, nil
}

// categoryNames is the named categories in the order given, or when none
// is named every valid category name in the directory in name order;
// either way without repeats.
func categoryNames(d *store.Dir, named []string) ([]string, error) {
	if len(named) > 0 {
		return withoutRepeats(named), nil
	}
	all, err := d.Names()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range all {
		if rules.CheckCategory(name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// withoutRepeats is names without the second and later of each name.
func withoutRepeats(names []string) []string {
	seen := make(map[string]bool, len(names))
	var out []string
	for _, name := range names {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// CloudDataDir is the data directory of a machine cloud-init arms when
// none is given: /var/lib, the default on the unix machines clouds make.
const CloudDataDir = "/var/lib"

// CloudConfig returns a #cloud-config document that arms category with
// the rules in text on a machine at its first boot, for machines that do not exist
// yet: cloud-init's write_files puts the file at dataDir/wrench/category
// on that machine, mode 0644, owned by owner (USER or USER:GROUP, names as
// cloud-init looks them up; "" for root), before the machine's agents
// start. dataDir is a path on that
// machine (such as /var/lib), whatever this program runs on. The rules
// are checked as Apply checks them; on any problem there is no document,
// and the error names the first.
//
// The owner must exist when write_files runs, early in the first boot: a
// user the image has, not one cloud-init itself creates later. Root, the
// default, is trusted by every agent.
func CloudConfig(dataDir, category string, text []byte, owner string) ([]byte, error) {
	if err := cloudinit.CheckPath(dataDir); err != nil {
		return nil, errors.Annotatef(err, "data directory (such as %s)", CloudDataDir)
	}
	dir := path.Join(dataDir, "wrench")
	if err := rules.CheckCategory(category); err != nil {
		return nil, errors.Annotatef(err, "%s", dir)
	}
	target := path.Join(dir, category)
	if len(text) > trust.MaxFileSize {
		return nil, store.OverLimit(fmt.Sprintf("%s: %d bytes of rules", target, len(text)))
	}
	if err := checkApply(target, text); err != nil {
		return nil, err
	}
	return cloudinit.Document(cloudinit.File{Path: target, Owner: owner, Content: text})
}

// Live state (SPEC 7): each process publishes what its rules are doing,
// for every category it reads, in the wrench directory; Status and Wait
// read what every live process published. internal/live holds the
// format, the publisher and the reader; what follows is the glue that
// starts and stops a data directory's publisher, the collection of its
// state, and the public API.

// startPublishing starts publishing dd's live state, unless it is
// published already, wrench is disabled, or dd was replaced. The first
// category read calls it, so a process that never sees a rules file
// starts nothing and writes nothing.
func (dd *dataDirState) startPublishing() {
	dd.pubMu.Lock()
	defer dd.pubMu.Unlock()
	if dd.pub != nil || dd.retired.Load() || !enabled.Load() {
		return
	}
	dd.pub = live.Publish(dd.wrenchDir, seed, dd.stateChanged, dd.collect)
}

// resumePublishing starts publishing again when wrench is enabled again,
// if a category was read before.
func (dd *dataDirState) resumePublishing() {
	if dd.reading.Load() {
		dd.startPublishing()
	}
}

// stopPublishing stops the publisher, which removes the live state, and
// returns once it has.
func (dd *dataDirState) stopPublishing() {
	dd.pubMu.Lock()
	pub := dd.pub
	dd.pub = nil
	dd.pubMu.Unlock()
	if pub != nil {
		pub.Stop()
	}
}

// collect is the live state of every category dd reads, by name, and
// whether dd checks the disk on every call. It runs on the publisher's
// goroutine. Each category's dirty mark is cleared before its state is
// read, so a change made meanwhile marks it again and is published next.
func (dd *dataDirState) collect() ([]live.Category, bool) {
	var cats []live.Category
	dd.categories.Range(func(_, v any) bool {
		if c, _ := v.(*category); c != nil && c.read.Load() {
			// Only a marked one is written: a store to every category
			// would dirty the cache lines of categories whose calls
			// run now on other cores.
			if c.dirty.Load() {
				c.dirty.Store(false)
			}
			cats = append(cats, c.liveState())
		}
		return true
	})
	sort.Slice(cats, func(i, j int) bool { return cats[i].Name < cats[j].Name })
	return cats, dd.exactMode()
}

// liveState is what the category's rules have done, as published.
func (c *category) liveState() live.Category {
	lc := live.Category{Name: c.name, UnruledOthers: c.unruledOthers.Load()}
	s := c.snap.Load()
	switch {
	case s == nil:
		return lc // no file now: it serves none
	case s.rules == nil:
		lc.Refused = s.refused
		return lc
	}
	lc.Version = s.digest
	for _, lr := range s.rules {
		if lr.unruled {
			lc.Unruled = append(lc.Unruled, live.Unruled{Feature: lr.Feature, Calls: lr.stats.unfired.Load()})
			continue
		}
		r := live.Rule{
			Feature:   lr.Feature,
			Trigger:   lr.Trigger,
			Line:      lr.Line,
			Evaluated: lr.stats.evaluated(),
			Fired:     lr.stats.fired.Load(),
			Remaining: lr.Remaining(),
			Paused:    lr.stats.paused.Load(),
			Sleeping:  lr.stats.sleeping.Load(),
			Asked:     lr.stats.asked.Load(),
		}
		if t := lr.stats.lastFired.Load(); t != 0 {
			r.LastFired = time.Unix(0, t).UTC()
		}
		lc.Rules = append(lc.Rules, r)
	}
	sort.Slice(lc.Rules, func(i, j int) bool { return lc.Rules[i].Line < lc.Rules[j].Line })
	sort.Slice(lc.Unruled, func(i, j int) bool { return lc.Unruled[i].Feature < lc.Unruled[j].Feature })
	return lc
}

// LiveStatus is what Status found: per category, what each live process
// reading it does, and the states it did not believe.
type LiveStatus struct {
	// Categories are the categories asked for, in the order named, or
	// every category a live process reads, by name.
	Categories []CategoryStatus
	// Ignored are live states, and directories of them, that were not
	// believed, with why: another user could have written them, or they
	// are not live states at all.
	Ignored []IgnoredState
}

// Category is s's status of the named category, or nil.
func (s LiveStatus) Category(name string) *CategoryStatus {
	for i := range s.Categories {
		if s.Categories[i].Category == name {
			return &s.Categories[i]
		}
	}
	return nil
}

// CategoryStatus is what the live processes reading one category do
// with it.
type CategoryStatus struct {
	Category string
	// Version is the SHA-256 of the category file's content as it is
	// now, in hex, which a process serving it shows as its Version; ""
	// when there is no file, or when no process would serve the file
	// (Refused says why), which matches a process serving none.
	Version string
	// Refused is why no process, whatever user it runs as, would serve
	// the file as it is now (not a regular file, over MaxFileSize,
	// writable by group or others; on Windows: refused for the current
	// user); "" when there is no file or some process may serve it. A
	// file refused only for some users (another owner) keeps its Version:
	// processes of those users show Refused themselves, and are not
	// Loaded.
	Refused string
	// Processes are the live processes reading the category, by pid.
	Processes []ProcessStatus
}

// Unasked reports whether live processes read the category and none of
// them has ever asked for feature, as far as their states tell: the
// typo case, where a rule names a feature the agent never asks. It is
// false when no live process reads the category (nothing to tell), and
// when a process asked for more features without a rule than its state
// names one by one (it may have asked for this one).
func (c CategoryStatus) Unasked(feature string) bool {
	if len(c.Processes) == 0 {
		return false
	}
	for _, p := range c.Processes {
		if p.UnruledOthers > 0 {
			return false
		}
		for _, r := range p.Rules {
			if r.Feature == feature && (r.Evaluated > 0 || r.Asked) {
				return false
			}
		}
		for _, u := range p.Unruled {
			if u.Feature == feature {
				return false
			}
		}
	}
	return true
}

// ProcessStatus is one live process's state of one category.
type ProcessStatus struct {
	PID int
	// Started is when the process started, by the wall clock, where the
	// platform says (zero otherwise).
	Started time.Time
	// Executable is the base name of the process's executable.
	Executable string
	// EUID is the process's effective uid; -1 on Windows, where User is
	// its SID.
	EUID int
	User string
	// Seed is the seed of the process's chance draws: WRENCH_SEED=Seed
	// replays its decisions.
	Seed uint64
	// Exact is whether the process checks the disk on every call. Such
	// a process serves each file as it is at each call, so it is Loaded
	// whatever Version says.
	Exact bool
	// Published is when the process wrote this state.
	Published time.Time
	// Version is the SHA-256 of the content of the file the process
	// serves, in hex; "" when it serves none (no file, or it refuses it:
	// then Refused says why).
	Version string
	Refused string
	// Loaded is whether the process serves the file as it is now: Exact,
	// or its Version is the category's.
	Loaded bool
	// Rules are the file's rules, in line order, with what each did.
	Rules []RuleStatus
	// Unruled are the features asked of the category that have no rule,
	// with their calls; UnruledOthers counts the calls of further ones,
	// past the number a process names one by one.
	Unruled       []UnruledFeature
	UnruledOthers uint64
}

// RuleStatus is what one rule did in one process since its line last
// changed (an unchanged line keeps its counts across rewrites).
type RuleStatus struct {
	Feature   string
	Trigger   string
	Line      int
	Evaluated uint64 // calls that asked for the feature
	Fired     uint64 // calls for which a term fired
	// Remaining is each term's remaining count, in term order;
	// Unlimited for a term without a count.
	Remaining []int
	Paused    int64 // calls paused in the rule now
	Sleeping  int64 // calls sleeping in the rule now
	// LastFired is when a term last fired; zero if never.
	LastFired time.Time
	// Asked is whether the feature was asked before the line last
	// changed (with no rule, or another trigger), which Evaluated no
	// longer counts.
	Asked bool
}

// Unlimited is a term's remaining count in RuleStatus when it has no
// count.
const Unlimited = rules.Unlimited

// UnruledFeature is a feature asked of a category whose file has no rule
// for it, and how many calls asked.
type UnruledFeature struct {
	Feature string
	Calls   uint64
}

// IgnoredState is a live state, or a directory of them, that Status did
// not believe, and why.
type IgnoredState struct {
	Path   string
	Reason string
}

// Status reads the live state of every process reading the named
// categories, or any category, in the wrench directory of DataDir().
//
// A process's state is believed as a rules file is: it must be in
// WRENCHDIR/.live-UID, and that directory and the file owned by UID (the
// process's effective uid) or root, writable by nobody else (on Windows:
// the trust rules of a category file, for the current user). A state
// describes a live process when the process with its pid started at the
// time it gives; the state of one that has exited is never shown, and is
// removed where the caller may remove it. A named category that no live
// process reads is shown with no processes.
func Status(categories ...string) (LiveStatus, error) {
	var st LiveStatus
	if err := needDataDir(); err != nil {
		return st, err
	}
	for _, name := range categories {
		if _, err := categoryFile(name); err != nil {
			return st, err
		}
	}
	dir := wrenchDir(DataDir())
	found, err := live.Read(dir)
	if err != nil {
		return st, err
	}
	names := withoutRepeats(categories)
	if len(names) == 0 {
		read := make(map[string]bool)
		for _, p := range found.Processes {
			for _, c := range p.Categories {
				if !read[c.Name] && rules.CheckCategory(c.Name) == nil {
					read[c.Name] = true
					names = append(names, c.Name)
				}
			}
		}
		sort.Strings(names)
	}
	for _, name := range names {
		version, refused, err := fileVersion(dir, name)
		if err != nil {
			return st, err
		}
		cs := CategoryStatus{Category: name, Version: version, Refused: refused}
		for _, p := range found.Processes {
			if c := p.Category(name); c != nil {
				cs.Processes = append(cs.Processes, processStatus(p, c, version))
			}
		}
		st.Categories = append(st.Categories, cs)
	}
	for _, ig := range found.Ignored {
		st.Ignored = append(st.Ignored, IgnoredState(ig))
	}
	return st, nil
}

// fileVersion is the SHA-256 of category's file in dir as it is now, in
// hex, or "" when there is none a process could serve: then refused says
// why, when there is a file.
func fileVersion(dir, category string) (version, refused string, err error) {
	d, err := store.OpenToLook(dir)
	if os.IsNotExist(err) {
		return "", "", nil
	}
	if err != nil {
		return "", "", errors.Annotatef(err, "cannot read %s", category)
	}
	defer d.Close()
	f, err := d.Look(category)
	if err != nil {
		return "", "", err
	}
	if v := f.OwnerVerdict(); v != "" {
		return "", v, nil
	}
	if f.Content == nil {
		return "", "", nil
	}
	sum := sha256.Sum256(f.Content)
	return hex.EncodeToString(sum[:]), "", nil
}

// processStatus is p's state of c, a category whose file is at version
// now, as the API shows it.
func processStatus(p *live.Process, c *live.Category, version string) ProcessStatus {
	ps := ProcessStatus{
		PID:           p.PID,
		Started:       p.Started,
		Executable:    p.Executable,
		EUID:          p.EUID,
		User:          p.User,
		Seed:          p.SeedValue(),
		Exact:         p.Exact,
		Published:     p.Published,
		Version:       c.Version,
		Refused:       c.Refused,
		Loaded:        p.Exact || c.Version == version,
		UnruledOthers: c.UnruledOthers,
	}
	for _, r := range c.Rules {
		ps.Rules = append(ps.Rules, RuleStatus(r))
	}
	for _, u := range c.Unruled {
		ps.Unruled = append(ps.Unruled, UnruledFeature(u))
	}
	return ps
}

// Condition is what Wait waits for: WhenPaused, WhenFired or WhenLoaded.
type Condition struct {
	what conditionKind
	n    int64
}

type conditionKind int

const (
	condPaused conditionKind = iota + 1
	condFired
	condLoaded
)

// WhenPaused is the condition that at least n calls are paused in the
// feature's rule now, summed over every live process reading the
// category.
func WhenPaused(n int) Condition { return Condition{what: condPaused, n: int64(n)} }

// WhenFired is the condition that the feature's rule has fired at least
// n times since its line last changed, summed over every live process
// reading the category. An unchanged line keeps its count across
// rewrites (SPEC 4), and a release changes the line.
func WhenFired(n int) Condition { return Condition{what: condFired, n: int64(n)} }

// WhenLoaded is the condition that every live process reading the
// category serves its file as it is now (see ProcessStatus.Loaded): it
// holds at once when none reads it. The feature does not matter.
func WhenLoaded() Condition { return Condition{what: condLoaded} }

// String says what c waits for, as a message names it.
func (c Condition) String() string {
	switch c.what {
	case condPaused:
		return fmt.Sprintf("%d paused %s", c.n, plural(int(c.n), "call", "calls"))
	case condFired:
		return fmt.Sprintf("%d %s", c.n, plural(int(c.n), "firing", "firings"))
	case condLoaded:
		return "every live process reading it to serve the file as it is now"
	}
	return "nothing"
}

// Met reports whether c holds for feature in cs.
func (c Condition) Met(cs CategoryStatus, feature string) bool {
	var sum int64
	for _, p := range cs.Processes {
		if c.what == condLoaded {
			if !p.Loaded {
				return false
			}
			continue
		}
		for _, r := range p.Rules {
			if r.Feature != feature {
				continue
			}
			if c.what == condPaused {
				sum += r.Paused
			} else {
				sum += int64(r.Fired)
			}
		}
	}
	return c.what == condLoaded || c.what != 0 && sum >= c.n
}

// WaitInterval is how often Wait reads the live states again: the
// waiting side pays for the wait, not the agents.
var WaitInterval = 20 * time.Millisecond

// Wait returns once cond holds for feature in category, reading the live
// states every WaitInterval, or when ctx is done: then the error wraps
// ctx's (errors.Is(err, context.DeadlineExceeded) after a timeout).
// Either way it returns the last status it read, whose Categories hold
// category's status (with no processes when none reads it). Nothing on
// the agents' side polls: each publishes a change within 50 ms.
func Wait(ctx context.Context, category, feature string, cond Condition) (LiveStatus, error) {
	if cond.what == 0 {
		return LiveStatus{}, errors.New("wrench.Wait: no condition: use WhenPaused, WhenFired or WhenLoaded")
	}
	// Reading is no writing: a nowrench build waits on other processes
	// as any build does.
	path, err := categoryFile(category)
	if err != nil {
		return LiveStatus{}, err
	}
	if cond.what != condLoaded {
		if err := rules.CheckFeature(feature); err != nil {
			return LiveStatus{}, errors.Annotatef(err, "%s", path)
		}
	}
	tick := time.NewTicker(WaitInterval)
	defer tick.Stop()
	for {
		st, err := Status(category)
		if err != nil {
			return st, err
		}
		if cond.Met(st.Categories[0], feature) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			if cond.what == condLoaded {
				return st, errors.Annotatef(ctx.Err(), "waiting for %s in %s", cond, category)
			}
			return st, errors.Annotatef(ctx.Err(), "waiting for %s in %s:%s", cond, category, feature)
		case <-tick.C:
		}
	}
}

// WaitLoaded returns once every live process reading category serves its
// file as it is now, at once when none reads it, or when ctx is done (see
// Wait): the way to confirm a write across processes.
func WaitLoaded(ctx context.Context, category string) (LiveStatus, error) {
	return Wait(ctx, category, "", WhenLoaded())
}
