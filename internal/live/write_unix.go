//go:build unix

package live

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/trust"
)

// writeState writes data as dir/name in one step a reader cannot see half
// of: a temporary file, mode 0644, renamed over the old one. It makes dir
// 0755 when missing, and refuses one a reader would not trust.
func writeState(dir, name string, data []byte) error {
	if err := stateDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return errors.Trace(err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
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

// stateDir makes dir, mode 0755 whatever the umask, unless it exists, and
// checks it is one a reader trusts for this user's states.
func stateDir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err == nil {
		return errors.Trace(os.Chmod(dir, 0o755))
	} else if !os.IsExist(err) {
		return errors.Trace(err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return errors.Trace(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	o := trust.Ownership{Kind: trust.KindOfMode(fi.Mode()), UID: st.Uid, Perm: uint32(st.Mode) & 0o7777}
	if v := trust.DirVerdict(o, os.Geteuid()); v != "" {
		return errors.Errorf("%s %s, so no reader would trust a state in it", dir, v)
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
	return fmt.Sprintf("as root: install -d -o %d -m 0755 %s", os.Geteuid(), dir)
}
