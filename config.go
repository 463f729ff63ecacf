package wrench

import (
	"sync"
	"sync/atomic"
)

// maxInvalidNames bounds how many distinct bad category names are
// remembered (so each is logged once) before they are logged every call.
const maxInvalidNames = 256

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

	mu         sync.Mutex // guards adding to categories
	categories atomic.Pointer[map[string]*category]
	invalid    int // bad names remembered in categories, as nil

	dir dirHandle // the verified wrench directory, where the platform keeps one
}

func newConfig(dataDir string) *config {
	dir := wrenchDir(dataDir)
	cf := &config{dataDir: dataDir, wrenchDir: dir, wrenchDirz: append([]byte(dir), 0), euid: effectiveUser()}
	empty := map[string]*category{}
	cf.categories.Store(&empty)
	return cf
}

// category returns the state kept for the named category, or nil when the
// name is not a valid category (which is logged once per name).
//
// Reads take no lock: the map is replaced, never changed, when a category
// is first seen.
func (cf *config) category(name string) *category {
	if c, ok := (*cf.categories.Load())[name]; ok {
		return c
	}
	cf.mu.Lock()
	defer cf.mu.Unlock()
	old := *cf.categories.Load()
	if c, ok := old[name]; ok {
		return c
	}
	var c *category
	if err := checkCategory(name); err != nil {
		logger.Errorf("IsActive(%q, ...): %v: no file outside %s is ever read", name, err, cf.wrenchDir)
		if cf.invalid >= maxInvalidNames {
			return nil
		}
		cf.invalid++
	} else {
		c = newCategory(cf, name)
	}
	next := make(map[string]*category, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = c
	cf.categories.Store(&next)
	return c
}

// retire releases what the config holds open once SetDataDir has replaced
// it. Calls still running on it finish as if the files were gone.
func (cf *config) retire() {
	cf.dir.close()
}
