//go:build windows

package wrench

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/sys"
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
	u, err := sys.CurrentUser()
	if err != nil {
		logger.Errorf("cannot tell which user this process runs as (%v): trusting only files owned by SYSTEM or Administrators", err)
		return ""
	}
	return u
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

func newCategory(dd *dataDirState, name string) *category {
	return &category{name: name, path: filepath.Join(dd.wrenchDir, name), ntName: sys.NTString(name)}
}

// hasEntry reports whether anything is at the path of the category name:
// false means there is nothing to honour. It is for the categories that
// are not remembered.
func (dd *dataDirState) hasEntry(name string) bool {
	ext, problem := sys.ExtendedPath(filepath.Join(dd.wrenchDir, name))
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

// onDisk returns the snapshot of the category file as it is on disk now,
// or nil when there is nothing to honour (no directory, no file, refused).
func (c *category) onDisk(dd *dataDirState) *snapshot {
	h, st, ok := c.open(dd)
	if !ok {
		return nil
	}
	defer windows.CloseHandle(h)
	if s := c.snap.Load(); s != nil && s.key == st.Key {
		return s.usable() // unchanged, or refused in this very state and logged then
	}
	return c.reload(dd, h, st)
}

// changed reports whether the category file is no longer the one snap was
// read from, or can no longer be trusted.
func (c *category) changed(dd *dataDirState, snap *snapshot) bool {
	h, st, ok := c.open(dd)
	if !ok {
		return true
	}
	windows.CloseHandle(h)
	return st.Key != snap.key
}

// open opens the category file beneath a freshly verified wrench
// directory and inspects it. ok is false when there is nothing to look at:
// no trusted directory, no file, or an error, which is logged once.
func (c *category) open(dd *dataDirState) (h windows.Handle, st sys.HandleState, ok bool) {
	dir, ok := dd.dir.open(dd)
	if !ok {
		return 0, st, false
	}
	defer windows.CloseHandle(dir)
	h, st, err := sys.OpenFile(dir, &c.ntName)
	switch {
	case err == windows.ERROR_DELETE_PENDING:
		if logger.IsTraceEnabled() {
			logger.Tracef("no file %s (it is being deleted)", c.path)
		}
		return 0, st, false
	case sys.IsNotExist(err):
		if logger.IsTraceEnabled() {
			logger.Tracef("no file %s", c.path)
		}
		return 0, st, false
	case err != nil:
		c.failed(err)
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
func (c *category) reload(dd *dataDirState, h windows.Handle, st sys.HandleState) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	reloads.Add(1)
	c.lastErr = ""
	if s := c.snap.Load(); s != nil && s.key == st.Key {
		return s.usable() // another call read this state meanwhile: keep its counts
	}
	if reason := st.Verdict(false, dd.euid); reason != "" {
		return c.keep(refusedSnapshot(st.Key, c.path, reason))
	}
	data, err := sys.ReadAll(h)
	if err != nil {
		logger.Errorf("refusing %s: %v", c.path, err)
		return nil
	}
	if len(data) > MaxFileSize {
		return c.keep(refusedSnapshot(st.Key, c.path, trust.Grew))
	}
	return c.keep(newSnapshot(st.Key, c.name, c.path, data))
}

// trustedDir is what IsActive keeps of the wrench directory last found
// trusted: on Windows, its state, so an unchanged directory costs no new
// verdict. The directory is opened and inspected afresh for each call.
//
// Unlike on unix no handle is kept between calls: an open handle on
// Windows keeps a directory from being removed for good (it lingers,
// delete-pending, and a new one of the same name cannot be made), and a
// kept handle would go on reading a directory renamed away.
type trustedDir struct {
	pathOnce    sync.Once
	path        *uint16 // the wrench directory, as sys.DirPath gives it
	pathProblem string  // why that path is never opened, or ""

	verified atomic.Pointer[sys.FileKey] // the last directory state found trusted

	refusalMu   sync.Mutex
	lastRefusal dirLogged // the last refusal logged
	refused     atomic.Bool
}

// dirLogged is a logged refusal of the wrench directory: its state and why.
type dirLogged struct {
	key    sys.FileKey
	reason string
}

// close forgets the trusted state, so nothing is taken on trust from a
// retired data directory state. No handle is held between calls, so none is closed.
func (d *trustedDir) close() { d.verified.Store(nil) }

// open opens the wrench directory by its path, without following a
// reparse point, and verifies it on the handle. ok is false when there is
// no trusted directory; a refusal is logged once per directory state.
func (d *trustedDir) open(dd *dataDirState) (h windows.Handle, ok bool) {
	d.pathOnce.Do(func() { d.path, d.pathProblem = sys.DirPath(dd.wrenchDir) })
	if d.pathProblem != "" {
		d.refuse(dd.wrenchDir, sys.FileKey{}, d.pathProblem)
		return 0, false
	}
	h, st, err := sys.OpenDir(d.path)
	switch {
	case err == windows.ERROR_DELETE_PENDING:
		if logger.IsTraceEnabled() {
			logger.Tracef("no wrench directory %s (it is being deleted)", dd.wrenchDir)
		}
		return 0, false
	case sys.IsNotExist(err):
		if logger.IsTraceEnabled() {
			logger.Tracef("no wrench directory %s", dd.wrenchDir)
		}
		return 0, false
	case err != nil:
		d.refuse(dd.wrenchDir, sys.FileKey{}, err.Error())
		return 0, false
	}
	if v := d.verified.Load(); v != nil && *v == st.Key {
		return h, true
	}
	if reason := st.Verdict(true, dd.euid); reason != "" {
		windows.CloseHandle(h)
		d.verified.Store(nil)
		d.refuse(dd.wrenchDir, st.Key, reason)
		return 0, false
	}
	d.verified.Store(&st.Key)
	if d.refused.Load() {
		// Trusted again: a later refusal, even of a state seen before, is
		// news and is logged.
		d.refusalMu.Lock()
		d.lastRefusal = dirLogged{}
		d.refused.Store(false)
		d.refusalMu.Unlock()
	}
	return h, true
}

// refuse logs a directory refusal unless this state was logged already.
func (d *trustedDir) refuse(path string, key sys.FileKey, reason string) {
	r := dirLogged{key: key, reason: reason}
	d.refusalMu.Lock()
	defer d.refusalMu.Unlock()
	if d.refused.Load() && r == d.lastRefusal {
		return
	}
	d.lastRefusal = r
	d.refused.Store(true)
	logger.Errorf("refusing wrench directory %s: %s", path, reason)
}
