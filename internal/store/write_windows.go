//go:build windows

package store

import (
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// NewDirSDDL is the security descriptor a wrench directory is created
// with: full control for SYSTEM, Administrators and the directory's owner
// (OWNER RIGHTS), read and traverse for Users, every grant inherited by the
// files and directories made inside (OICI), so the temporary files the
// writer renames into place are trusted too. "P" protects the DACL: nothing
// is inherited from the data directory, whose ACL on a default install
// lets Users create files and folders in every folder beneath
// %ProgramData% and would make the new directory refused. It is the
// Windows counterpart of mode 0755. trust.NewDirDACL holds it as ACEs, which
// the trust package's tests judge by its rules; write_windows_test.go checks
// that this is what those ACEs say.
const NewDirSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)(A;OICI;FRFX;;;BU)"

// MakeDir creates the wrench directory with the DACL of NewDirSDDL
// when it is missing. A directory already there is left as it is, for the
// trust rules to judge. The data directory itself must exist: a mistyped
// --datadir is an error, not a new tree nothing reads.
func MakeDir(path string) error {
	ext, problem := sys.ExtendedPath(path)
	if problem != "" {
		return errors.Errorf("cannot create %s: %s", path, problem)
	}
	p, err := windows.UTF16PtrFromString(ext)
	if err != nil {
		return errors.Annotatef(err, "cannot create %s", path)
	}
	sd, err := windows.SecurityDescriptorFromString(NewDirSDDL)
	if err != nil {
		return errors.Annotatef(err, "cannot create %s: cannot build its security descriptor", path)
	}
	sa := windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	err = windows.CreateDirectory(p, &sa)
	switch {
	case err == nil, os.IsExist(err):
		return nil
	case os.IsNotExist(err):
		// Windows says "path not found" for a data directory that is a
		// file, too: tell the two apart, as unix's ENOTDIR does.
		dataDir := filepath.Dir(path)
		if fi, serr := os.Stat(dataDir); serr == nil && !fi.IsDir() {
			return errors.Annotatef(NotDataDir(dataDir), "cannot create %s", path)
		}
		return errors.Annotatef(MissingDataDir(dataDir), "cannot create %s", path)
	}
	return errors.Annotatef(err, "cannot create %s", path)
}

// Replace makes data the content of the file name in one step a reader
// cannot see half of: it writes a temporary file beside it, flushes it and
// renames it over name (MoveFileEx with MOVEFILE_REPLACE_EXISTING). When
// it fails before the rename, the old file is untouched and the temporary
// file gone.
func (d *Dir) Replace(name string, data []byte) (err error) {
	path := filepath.Join(d.path, name)
	if err := writeFault("create"); err != nil {
		return errors.Annotatef(err, "cannot create a temporary file for %s", path)
	}
	var f *os.File
	for {
		f, err = os.OpenFile(filepath.Join(d.path, TempName(name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !os.IsExist(err) {
			break
		}
	}
	if err != nil {
		return errors.Annotatef(err, "cannot create a temporary file for %s", path)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := writeSynced(f, data); err != nil {
		return errors.Annotatef(err, "cannot write %s", tmp)
	}
	if err := writeFault("rename"); err != nil {
		return errors.Annotatef(err, "cannot rename %s to %s", filepath.Base(tmp), path)
	}
	if err := renameRetrying(tmp, path); err != nil {
		return errors.Annotatef(err, "cannot rename %s to %s", filepath.Base(tmp), path)
	}
	return nil
}

// renameRetrying renames, retrying for a while when another process has
// the target open without sharing delete (a reader mid-read, a virus
// scanner), which on Windows makes the rename fail rather than wait.
func renameRetrying(from, to string) error {
	const tries, pause = 100, 10 * time.Millisecond
	var err error
	for range tries {
		err = os.Rename(from, to)
		if !isSharingError(err) {
			return err
		}
		time.Sleep(pause)
	}
	return err
}

func isSharingError(err error) bool {
	var errno windows.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == windows.ERROR_SHARING_VIOLATION || errno == windows.ERROR_ACCESS_DENIED || errno == windows.ERROR_LOCK_VIOLATION
}

// Remove removes the entry name (a file, or a reparse point itself, never
// what it points at) and reports whether there was one.
func (d *Dir) Remove(name string) (bool, error) {
	path := filepath.Join(d.path, name)
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, errors.Annotatef(err, "cannot remove %s", path)
	}
	if trust.KindOfMode(fi.Mode()) == trust.KindDirectory {
		return false, dirNotRemoved(path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return false, errors.Annotatef(err, "cannot remove %s", path)
	}
	return true, nil
}

// IsDir reports whether the entry name is a directory (not a reparse
// point to one).
func (d *Dir) IsDir(name string) bool {
	fi, err := os.Lstat(filepath.Join(d.path, name))
	return err == nil && trust.KindOfMode(fi.Mode()) == trust.KindDirectory
}

// Sync does nothing on Windows: a directory cannot be flushed without
// opening it for writing, and NTFS journals the rename itself.
func (d *Dir) Sync() error { return nil }
