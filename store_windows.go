//go:build windows

package wrench

import (
	"os"
	"path/filepath"
	"time"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"
)

// makeRulesDir creates the wrench directory when it is missing. Its ACL
// is inherited from the data directory (%ProgramData% grants write to
// Administrators and SYSTEM only); the mode argument means nothing here.
// The data directory itself must exist.
func makeRulesDir(path string) error {
	err := os.Mkdir(path, 0o755)
	switch {
	case err == nil, os.IsExist(err):
		return nil
	case os.IsNotExist(err):
		return errors.Errorf("cannot create %s: data directory %s does not exist", path, filepath.Dir(path))
	}
	return errors.Annotatef(err, "cannot create %s", path)
}

// replace makes data the content of the file name in one step a reader
// cannot see half of: it writes a temporary file beside it, flushes it and
// renames it over name (MoveFileEx with MOVEFILE_REPLACE_EXISTING). When
// it fails before the rename, the old file is untouched and the temporary
// file gone.
func (d *rulesDir) replace(name string, data []byte) (err error) {
	path := filepath.Join(d.path, name)
	if err := writeFault("create"); err != nil {
		return errors.Annotatef(err, "cannot create a temporary file for %s", path)
	}
	var f *os.File
	for {
		f, err = os.OpenFile(filepath.Join(d.path, tempName(name)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
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

// remove removes the entry name (a file, or a reparse point itself, never
// what it points at) and reports whether there was one.
func (d *rulesDir) remove(name string) (bool, error) {
	path := filepath.Join(d.path, name)
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, errors.Annotatef(err, "cannot remove %s", path)
	}
	if kindOfFileMode(fi.Mode()) == kindDirectory {
		return false, errors.Errorf("cannot remove %s: it is a directory, not a category file", path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return false, errors.Annotatef(err, "cannot remove %s", path)
	}
	return true, nil
}

// sync does nothing on Windows: a directory cannot be flushed without
// opening it for writing, and NTFS journals the rename itself.
func (d *rulesDir) sync() error { return nil }
