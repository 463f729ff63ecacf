//go:build windows

package wrench

import (
	"io/fs"
	"os"
	"path/filepath"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/store"
	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// TrustVerdict says why IsActive in this process would refuse what is at
// path, as a wrench directory (dir) or as a category file in its parent,
// or "" when it would trust it: the verdict Check and the writer reach,
// through the same handles IsActive opens. err is set when path cannot be
// opened or inspected; errors.Is(err, fs.ErrNotExist) tells a missing
// path.
func TrustVerdict(path string, dir bool) (reason string, err error) {
	if _, problem := sys.ExtendedPath(path); problem != "" {
		return problem, nil
	}
	dirPath, name := path, ""
	if !dir {
		dirPath, name = filepath.Dir(path), filepath.Base(path)
	}
	d, err := store.Open(dirPath)
	var notDir *store.NotDirError
	if dir && errors.As(err, &notDir) {
		return trust.NotDirectory(notDir.Kind), nil
	}
	if err != nil {
		return "", err
	}
	defer d.Close()
	if dir {
		return d.Verdict(-1), nil
	}
	f, err := d.Look(name)
	switch {
	case err != nil:
		return "", err
	case !f.Exists:
		return "", &os.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return f.Verdict(-1), nil
}

// ExtendedPath exposes how paths are put in \\?\ form before opening.
var ExtendedPath = sys.ExtendedPath

// DefaultDataDir exposes the data directory used until SetDataDir.
var DefaultDataDir = defaultDataDir

// NewDirSDDL exposes the security descriptor new wrench directories get.
const NewDirSDDL = store.NewDirSDDL
