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

// userID identifies the user whose files, besides SYSTEM's and
// Administrators', are trusted: the string form of the user's SID.
type userID = string

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

// catFile is what the platform keeps to find a category file: on Windows
// its name as the NT API takes it, to open it beneath the directory's
// handle.
//
// Every call opens the wrench directory by its path and the category file
// beneath that handle, and reads both security descriptors: on Windows an
// ACL or owner change need not show in any timestamp, so nothing cheaper
// sees it. A file whose state is unchanged is not read or parsed again.
type catFile struct {
	ntName windows.NTUnicodeString
}

func newCatFile(name, path string) catFile {
	return catFile{ntName: sys.NTString(name)}
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

// opened is what onDisk found at the category path: on Windows the
// file's handle, opened beneath a freshly verified directory handle, and
// what that handle says.
type opened struct {
	key sys.FileKey
	h   windows.Handle
	st  sys.HandleState
}

// close releases what onDisk opened: the file's handle.
func (o opened) close() { windows.CloseHandle(o.h) }

// dirTrusted is true: onDisk opened the file beneath a directory it had
// just verified.
func (o opened) dirTrusted(dd *dataDirState) bool { return true }

// onDisk opens the category file beneath a freshly verified wrench
// directory and inspects it. ok is false when there is nothing to honour:
// no trusted directory (a refusal is logged by trustedDir) or no file;
// err then says why the file cannot be opened or inspected, when it
// cannot.
func (c *category) onDisk(dd *dataDirState) (o opened, ok bool, err error) {
	dir, _, ok := dd.dir.open(dd)
	if !ok {
		return o, false, nil
	}
	defer windows.CloseHandle(dir.h)
	h, st, err := sys.OpenFile(dir.h, &c.file.ntName)
	switch {
	case err == windows.ERROR_DELETE_PENDING:
		if logger.IsTraceEnabled() {
			logger.Tracef("no file %s (it is being deleted)", c.path)
		}
		return o, false, nil
	case sys.IsNotExist(err):
		if logger.IsTraceEnabled() {
			logger.Tracef("no file %s", c.path)
		}
		return o, false, nil
	case err != nil:
		return o, false, err
	}
	return opened{key: st.Key, h: h, st: st}, true, nil
}

// reload verifies and reads the category file through o's handle, the
// one its state was inspected on, unless that state is kept.
func (c *category) reload(dd *dataDirState, o opened, kept sys.FileKey) found {
	if o.key == kept {
		return found{what: foundSame}
	}
	if reason := o.st.Verdict(false, dd.euid); reason != "" {
		return found{what: foundRefused, key: o.key, reason: reason}
	}
	data, tooBig, err := sys.ReadRules(o.h)
	switch {
	case err != nil:
		return found{what: foundFailed, reason: trust.CannotRead(err)}
	case tooBig:
		return found{what: foundRefused, key: o.key, reason: trust.Grew}
	}
	return found{what: foundRead, key: o.key, data: data}
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

	refusals dirRefusals
}

// openedDir is the wrench directory, opened and verified: on Windows its
// handle, which the caller closes.
type openedDir struct {
	h windows.Handle
}

// open opens the wrench directory by its path, without following a
// reparse point, and verifies it on the handle. ok is false when there is
// no trusted directory; a refusal is logged once per directory state,
// and refused is that state when it is known.
func (d *trustedDir) open(dd *dataDirState) (dir openedDir, refused sys.FileKey, ok bool) {
	d.pathOnce.Do(func() { d.path, d.pathProblem = sys.DirPath(dd.wrenchDir) })
	if d.pathProblem != "" {
		d.refusals.refuse(dd.wrenchDir, refused, d.pathProblem)
		return dir, refused, false
	}
	h, st, err := sys.OpenDir(d.path)
	switch {
	case err == windows.ERROR_DELETE_PENDING:
		if logger.IsTraceEnabled() {
			logger.Tracef("no wrench directory %s (it is being deleted)", dd.wrenchDir)
		}
		return dir, refused, false
	case sys.IsNotExist(err):
		if logger.IsTraceEnabled() {
			logger.Tracef("no wrench directory %s", dd.wrenchDir)
		}
		return dir, refused, false
	case err != nil:
		d.refusals.refuse(dd.wrenchDir, refused, trust.CannotOpen(err))
		return dir, refused, false
	}
	if v := d.verified.Load(); v != nil && *v == st.Key {
		d.refusals.trusted()
		return openedDir{h: h}, refused, true
	}
	if reason := st.Verdict(true, dd.euid); reason != "" {
		windows.CloseHandle(h)
		d.verified.Store(nil)
		d.refusals.refuse(dd.wrenchDir, st.Key, reason)
		return dir, st.Key, false
	}
	d.verified.Store(&st.Key)
	d.refusals.trusted()
	return openedDir{h: h}, refused, true
}

// close forgets the trusted state, so nothing is taken on trust from a
// retired data directory state. No handle is held between calls, so none
// is closed.
func (d *trustedDir) close() { d.verified.Store(nil) }
