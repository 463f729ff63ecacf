package live

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/store"
)

// writeState writes data as wrenchDir/sub/name in one step a reader
// cannot see half of: a temporary file renamed over the old one. It
// makes sub when missing; both inherit the wrench directory's ACL. The
// wrench directory is opened as IsActive opens it, never through a
// reparse point, and judged by the ACL rule for this user: a process
// publishes only where it would read rules. Its ACL lets no one else
// swap what is beneath it.
func writeState(wrenchDir, sub, name string, data []byte) error {
	if err := checkWrenchDir(wrenchDir); err != nil {
		return err
	}
	dir := filepath.Join(wrenchDir, sub)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return errors.Trace(err)
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return errors.Trace(err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return errors.Trace(err)
	}
	return nil
}

// checkWrenchDir says why no state is written in the wrench directory,
// or nil when one may be.
func checkWrenchDir(wrenchDir string) error {
	d, err := store.OpenToLook(wrenchDir)
	var notDir *store.NotDirError
	if errors.As(err, &notDir) {
		return &untrustedWrenchDir{fmt.Sprintf("the wrench directory %v, so no state is written in it", notDir)}
	}
	if err != nil {
		return err // os.IsNotExist when there is none
	}
	defer d.Close()
	if v := d.Verdict(-1); v != "" {
		return &untrustedWrenchDir{fmt.Sprintf("the wrench directory %s %s, so no state is written in it", wrenchDir, v)}
	}
	return nil
}

// removeState removes wrenchDir/sub/name, if it is there.
func removeState(wrenchDir, sub, name string) error {
	if err := os.Remove(filepath.Join(wrenchDir, sub, name)); err != nil && !os.IsNotExist(err) {
		return errors.Trace(err)
	}
	return nil
}

// remedy says how an operator gives this process a place to write its
// state.
func remedy(dir string) string {
	return fmt.Sprintf("an administrator can create %s owned by this user", dir)
}
