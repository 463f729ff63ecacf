package wrench

import (
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-wrench/wrench/internal/rules"
)

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
