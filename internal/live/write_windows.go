package live

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/juju/errors"
)

// writeState writes data as dir/name in one step a reader cannot see half
// of: a temporary file renamed over the old one. It makes dir when
// missing; both inherit the wrench directory's ACL.
func writeState(dir, name string, data []byte) error {
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

// removeState removes dir/name, if it is there.
func removeState(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
		return errors.Trace(err)
	}
	return nil
}

// remedy says how an operator gives this process a place to write its
// state.
func remedy(dir string) string {
	return fmt.Sprintf("an administrator can create %s owned by this user", dir)
}
