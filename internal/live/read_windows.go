package live

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/store"
	"github.com/go-wrench/wrench/internal/trust"
)

// wrenchHandle is the wrench directory Read reads, opened as IsActive
// opens it and judged, once.
type wrenchHandle struct {
	d *store.Dir
}

// openWrench opens the wrench directory for Read. It returns nil, with
// nothing ignored, when there is none, and nil, with the directory
// ignored and why, when it is a reparse point or something other than a
// directory, or its ACL lets others than this user, SYSTEM and
// Administrators change it.
func openWrench(f *Found, wrenchDir string) (*wrenchHandle, error) {
	d, err := store.OpenToLook(wrenchDir)
	var notDir *store.NotDirError
	switch {
	case os.IsNotExist(err):
		return nil, nil
	case errors.As(err, &notDir):
		f.ignore(wrenchDir, "%s", trust.NotDirectory(notDir.Kind))
		return nil, nil
	case err != nil:
		return nil, errors.Annotatef(err, "cannot read live state")
	}
	if v := d.Verdict(-1); v != "" {
		d.Close()
		f.ignore(wrenchDir, "%s", v)
		return nil, nil
	}
	return &wrenchHandle{d: d}, nil
}

func (w *wrenchHandle) close() { w.d.Close() }

func (w *wrenchHandle) names() ([]string, error) { return w.d.Names() }

// readUserDir reads the states in the entry name of the wrench
// directory, the directory of user's states.
func (w *wrenchHandle) readUserDir(f *Found, name, user string) {
	path := filepath.Join(w.d.Path(), name)
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
