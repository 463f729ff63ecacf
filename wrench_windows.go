//go:build windows

package wrench

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/trust"
)

// userID identifies the user whose files, besides SYSTEM's and
// Administrators', are trusted: the string form of the user's SID.
type userID = string

// defaultDataDir is %ProgramData%, so rules live in
// C:\ProgramData\wrench. When the variable is unset (a service started
// with a bare environment) the system's own ProgramData folder is used.
func defaultDataDir() string {
	if dir := os.Getenv("ProgramData"); dir != "" {
		return dir
	}
	if dir, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, windows.KF_FLAG_DEFAULT); err == nil && dir != "" {
		return dir
	}
	return `C:\ProgramData`
}

// effectiveUser is the SID of the user the process runs as. Should the
// process token not say, only SYSTEM and Administrators are trusted.
func effectiveUser() userID {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		logger.Errorf("cannot tell which user this process runs as (%v): trusting only files owned by SYSTEM or Administrators", err)
		return ""
	}
	return u.User.Sid.String()
}

// category is what wrench keeps for one category of one data directory.
//
// Every call opens the wrench directory by its path and the category file
// beneath that handle, and reads both security descriptors: on Windows an
// ACL or owner change need not show in any timestamp, so nothing cheaper
// sees it. A file whose state is unchanged is not read or parsed again.
type category struct {
	name   string
	path   string
	ntName windows.NTUnicodeString // name, for opening it beneath the directory handle

	snap atomic.Pointer[snapshot] // the last state read, trusted or refused

	mu      sync.Mutex // serialises reloads
	lastErr string     // the last open error logged, so each is logged once
}

func newCategory(cf *config, name string) *category {
	return &category{name: name, path: filepath.Join(cf.wrenchDir, name), ntName: ntString(name)}
}

// hasEntry reports whether anything is at the path of the category name:
// false means there is nothing to honour. It is for the categories that
// are not remembered.
func (cf *config) hasEntry(name string) bool {
	ext, problem := extendedPath(filepath.Join(cf.wrenchDir, name))
	if problem != "" {
		return false
	}
	p, err := windows.UTF16PtrFromString(ext)
	if err != nil {
		return false
	}
	_, err = windows.GetFileAttributes(p)
	return err == nil
}

// current returns the snapshot of the category file as it is on disk now,
// or nil when there is nothing to honour (no directory, no file, refused).
func (c *category) current(cf *config) *snapshot {
	h, st, ok := c.open(cf)
	if !ok {
		return nil
	}
	defer windows.CloseHandle(h)
	if s := c.snap.Load(); s != nil && s.key == st.key {
		return s.usable() // unchanged, or refused in this very state and logged then
	}
	return c.reload(cf, h, st)
}

// changed reports whether the category file is no longer the one snap was
// read from, or can no longer be trusted.
func (c *category) changed(cf *config, snap *snapshot) bool {
	h, st, ok := c.open(cf)
	if !ok {
		return true
	}
	windows.CloseHandle(h)
	return st.key != snap.key
}

// open opens the category file beneath a freshly verified wrench
// directory and inspects it. ok is false when there is nothing to look at:
// no trusted directory, no file, or an error, which is logged once.
func (c *category) open(cf *config) (h windows.Handle, st handleState, ok bool) {
	dir, ok := cf.dir.open(cf)
	if !ok {
		return 0, st, false
	}
	defer windows.CloseHandle(dir)
	h, err := openBeneath(dir, &c.ntName)
	if err != nil {
		if isNotExist(err) {
			if logger.IsTraceEnabled() {
				logger.Tracef("no file %s", c.path)
			}
		} else {
			c.failed(err)
		}
		return 0, st, false
	}
	if st, err = inspect(h); err != nil {
		windows.CloseHandle(h)
		c.failed(err)
		return 0, st, false
	}
	if st.deletePending {
		windows.CloseHandle(h)
		if logger.IsTraceEnabled() {
			logger.Tracef("no file %s (it is being deleted)", c.path)
		}
		return 0, st, false
	}
	return h, st, true
}

// failed logs, once until it changes, why the category file cannot be
// opened or inspected.
func (c *category) failed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg := err.Error(); msg != c.lastErr {
		c.lastErr = msg
		logger.Errorf("refusing %s: %s", c.path, msg)
	}
}

// reload verifies and reads the category file through h, the handle st
// was inspected on, and stores its snapshot.
func (c *category) reload(cf *config, h windows.Handle, st handleState) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	reloads.Add(1)
	c.lastErr = ""
	if s := c.snap.Load(); s != nil && s.key == st.key {
		return s.usable() // another call read this state meanwhile: keep its counts
	}
	if reason := st.verdict(false, cf.euid); reason != "" {
		return c.store(refusedSnapshot(st.key, c.path, reason))
	}
	data, err := readAll(h)
	if err != nil {
		logger.Errorf("refusing %s: %v", c.path, err)
		return nil
	}
	if len(data) > MaxFileSize {
		return c.store(refusedSnapshot(st.key, c.path, trust.Grew))
	}
	return c.store(newSnapshot(st.key, c.path, data))
}

// dirHandle verifies the wrench directory for each call and remembers the
// last state it trusted, so an unchanged directory costs no new verdict.
//
// Unlike on unix no handle is kept between calls: an open handle on
// Windows keeps a directory from being removed for good (it lingers,
// delete-pending, and a new one of the same name cannot be made), and a
// kept handle would go on reading a directory renamed away.
type dirHandle struct {
	pathOnce    sync.Once
	path        *uint16 // the wrench directory, in the form extendedPath gives
	pathProblem string  // why that path is never opened, or ""

	verified atomic.Pointer[fileKey] // the last directory state found trusted

	refusalMu   sync.Mutex
	lastRefusal dirRefusal // the last refusal logged
	refused     atomic.Bool
}

// dirRefusal is one logged refusal of the directory: the state and why.
type dirRefusal struct {
	key    fileKey
	reason string
}

// close forgets the trusted state, so nothing is taken on trust from a
// retired config. No handle is held between calls, so none is closed.
func (d *dirHandle) close() { d.verified.Store(nil) }

// open opens the wrench directory by its path, without following a
// reparse point, and verifies it on the handle. ok is false when there is
// no trusted directory; a refusal is logged once per directory state.
func (d *dirHandle) open(cf *config) (h windows.Handle, ok bool) {
	d.pathOnce.Do(func() {
		ext, problem := extendedPath(cf.wrenchDir)
		if problem == "" {
			var err error
			if d.path, err = windows.UTF16PtrFromString(ext); err != nil {
				problem = err.Error()
			}
		}
		d.pathProblem = problem
	})
	if d.pathProblem != "" {
		d.refuse(cf.wrenchDir, fileKey{}, d.pathProblem)
		return 0, false
	}
	h, err := openNoFollow(d.path, dirAccess)
	if err != nil {
		if isNotExist(err) {
			if logger.IsTraceEnabled() {
				logger.Tracef("no wrench directory %s", cf.wrenchDir)
			}
			return 0, false
		}
		d.refuse(cf.wrenchDir, fileKey{}, err.Error())
		return 0, false
	}
	st, err := inspect(h)
	if err != nil {
		windows.CloseHandle(h)
		d.refuse(cf.wrenchDir, fileKey{}, err.Error())
		return 0, false
	}
	if st.deletePending {
		windows.CloseHandle(h)
		if logger.IsTraceEnabled() {
			logger.Tracef("no wrench directory %s (it is being deleted)", cf.wrenchDir)
		}
		return 0, false
	}
	if v := d.verified.Load(); v != nil && *v == st.key {
		return h, true
	}
	if reason := st.verdict(true, cf.euid); reason != "" {
		windows.CloseHandle(h)
		d.verified.Store(nil)
		d.refuse(cf.wrenchDir, st.key, reason)
		return 0, false
	}
	d.verified.Store(&st.key)
	if d.refused.Load() {
		// Trusted again: a later refusal, even of a state seen before, is
		// news and is logged.
		d.refusalMu.Lock()
		d.lastRefusal = dirRefusal{}
		d.refused.Store(false)
		d.refusalMu.Unlock()
	}
	return h, true
}

// refuse logs a directory refusal unless this state was logged already.
func (d *dirHandle) refuse(path string, key fileKey, reason string) {
	r := dirRefusal{key: key, reason: reason}
	d.refusalMu.Lock()
	defer d.refusalMu.Unlock()
	if d.refused.Load() && r == d.lastRefusal {
		return
	}
	d.lastRefusal = r
	d.refused.Store(true)
	logger.Errorf("refusing wrench directory %s: %s", path, reason)
}

// verifyPathWindows opens path without following a reparse point and
// without blocking, and says why a process running as the current user
// must not trust it as a wrench directory (wantDir) or a category file,
// or "" when it may. err is set when path cannot be opened or inspected;
// errors.Is(err, fs.ErrNotExist) tells a missing path.
func verifyPathWindows(path string, wantDir bool) (reason string, err error) {
	ext, problem := extendedPath(path)
	if problem != "" {
		return problem, nil
	}
	p, err := windows.UTF16PtrFromString(ext)
	if err != nil {
		return "", errors.Annotatef(err, "bad path %q", path)
	}
	access := uint32(windows.FILE_GENERIC_READ)
	if wantDir {
		access = dirAccess
	}
	h, err := openNoFollow(p, access)
	if err != nil {
		return "", errors.Annotatef(err, "cannot open %s", path)
	}
	defer windows.CloseHandle(h)
	st, err := inspect(h)
	if err != nil {
		return "", errors.Annotatef(err, "cannot inspect %s", path)
	}
	return st.verdict(wantDir, effectiveUser()), nil
}
