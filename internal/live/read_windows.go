package live

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/store"
)

// readUserDir reads the states in path, the directory of user's states.
func readUserDir(f *Found, path, user string) {
	d, err := store.OpenToLook(path)
	if err != nil {
		f.ignore(path, "%v", errors.Cause(err))
		return
	}
	defer d.Close()
	if v := d.Verdict(-1); v != "" {
		f.ignore(path, "%s", v)
		return
	}
	names, err := d.Names()
	if err != nil {
		f.ignore(path, "cannot be listed: %v", err)
		return
	}
	for _, name := range names {
		if pid, ok := tempPID(name); ok {
			if _, _, running := running(pid); !running {
				os.Remove(filepath.Join(path, name))
			}
			continue
		}
		if strings.HasPrefix(name, ".") {
			continue
		}
		if _, ok := pidName(name); !ok {
			f.ignore(filepath.Join(path, name), "is not named for a pid")
			continue
		}
		readState(f, d, name, user)
	}
}

// readState reads the state name in d, the directory of user's states.
func readState(f *Found, d *store.Dir, name, user string) {
	fs, err := d.Look(name)
	if err != nil {
		f.ignore(filepath.Join(d.Path(), name), "%v", errors.Cause(err))
		return
	}
	switch {
	case !fs.Exists:
		return // its process ended meanwhile
	case fs.Unreadable != "":
		f.ignore(fs.Path, "%s", fs.Unreadable)
		return
	}
	if v := fs.Verdict(-1); v != "" {
		f.ignore(fs.Path, "%s", v)
		return
	}
	p, err := Decode(fs.Content)
	if err != nil {
		f.ignore(fs.Path, "%v", err)
		return
	}
	reason, dead := verify(p, name, user, -1)
	switch {
	case dead:
		os.Remove(fs.Path) // best effort
	case reason != "":
		f.ignore(fs.Path, "%s", reason)
	default:
		f.Processes = append(f.Processes, p)
	}
}
