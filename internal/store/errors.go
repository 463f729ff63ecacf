package store

import (
	"fmt"
	"os"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/trust"
)

// NotDirError says that the wrench directory's path is something else.
type NotDirError struct {
	Path string
	Kind trust.Kind // what is there instead
}

// Error implements error.
func (e *NotDirError) Error() string {
	return e.Path + " " + trust.NotDirectory(e.Kind)
}

// dirNotRemoved is the error for a directory where a category file would
// be: the writer removes files, never a directory and what it holds.
func dirNotRemoved(path string) error {
	return errors.Errorf("cannot remove %s: it is a directory, not a category file (remove it by hand)", path)
}

// NeedDataDir says that the data directory does not exist, or is not a
// directory; nil when it is there, or cannot be looked at (the operation
// itself then says why). Every operation that finds no wrench directory
// asks it, so a mistyped data directory is an error, never "nothing is
// armed".
func NeedDataDir(dataDir string) error {
	fi, err := os.Stat(dataDir)
	switch {
	case os.IsNotExist(err):
		return MissingDataDir(dataDir)
	case err == nil && !fi.IsDir():
		return NotDataDir(dataDir)
	}
	return nil
}

// NotDataDir is the error for a data directory that is not a directory.
func NotDataDir(dataDir string) error {
	return errors.Errorf("data directory %s is not a directory", dataDir)
}

// OverLimit is the error for content a writer was given that IsActive
// would refuse as too big; lead says what and how big ("path would be N
// bytes"). Apply and Edit both use it, so the phrase has one source.
func OverLimit(lead string) error {
	return errors.Errorf("%s, over the %d byte limit IsActive reads: nothing written", lead, trust.MaxFileSize)
}

// tooManyLinks is the refusal of a lock file with n names: another name
// for the same file may belong to anyone, and a writer must not hold
// locks on, or be made to vouch for, a file another user linked in.
func tooManyLinks(n uint64) string {
	return fmt.Sprintf("has %d hard links, not 1", n)
}

// MissingDataDir is the error for a data directory that does not exist.
func MissingDataDir(dataDir string) error {
	return errors.Errorf("data directory %s does not exist", dataDir)
}
