package store

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/trust"
)

// EditMode says what an edit may find and do.
type EditMode int

const (
	// EditExisting edits a file that may be missing, and then has no
	// rules; the edit must not want to write it (Unset, Release).
	EditExisting EditMode = iota
	// EditOrCreate edits a file, creating it and the wrench directory
	// when missing (Set).
	EditOrCreate
	// ReplaceWhole writes a file keeping nothing of the old one, which
	// therefore need not be trusted (Apply).
	ReplaceWhole
)

// Change computes a category file's new content from its old content
// (nil when there is no file), and says whether to write it.
type Change func(old []byte) (data []byte, write bool, err error)

// Edit is the one path every write of a category file takes. dir is the
// wrench directory of dataDir. Under the directory's lock it reads the
// file, refuses one that IsActive would not trust (its lines would be
// laundered into a trusted file), lets change compute the new content from
// the old, and writes that with Replace if change says to.
//
// "IsActive" here is IsActive in the processes that read the directory:
// those running as its owner, or as anyone when root owns it. So the
// directory and file are judged as its owner's IsActive would judge them.
// Root may then arm an agent whose data directory its own user owns, and
// a file of any other user in root's directory is refused. On Windows the
// judge is the current user, the only one a verdict can be for.
func Edit(dataDir, dir, category string, mode EditMode, change Change) error {
	path := filepath.Join(dir, category)
	if mode != EditExisting {
		if err := MakeDir(dir); err != nil {
			return err
		}
	}
	d, err := Open(dir)
	if err != nil {
		if err := NeedDataDir(dataDir); err != nil {
			return err
		}
	}
	if os.IsNotExist(err) && mode == EditExisting {
		_, _, err := change(nil)
		return err
	}
	if err != nil {
		return errors.Annotatef(err, "refusing to write %s", path)
	}
	defer d.Close()
	reader := d.ReaderUID()
	if reason := d.Verdict(reader); reason != "" {
		return errors.Errorf("refusing to write %s: the wrench directory %s %s, so IsActive %s would ignore it", path, dir, reason, runningAs(reader))
	}
	unlock, err := d.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	old, err := d.Look(category)
	if err != nil {
		return err
	}
	if reason := old.Verdict(reader); reason != "" && mode != ReplaceWhole {
		// Name only a remedy that works: clear removes anything but a
		// directory.
		hint := "wrench clear removes it"
		if d.IsDir(category) {
			hint = "remove the directory by hand"
		}
		return errors.Errorf("%s %s, so IsActive %s would not trust it: refusing to edit it (%s)", path, reason, runningAs(reader), hint)
	}
	data, write, err := change(old.Content)
	if err != nil || !write {
		return err
	}
	if len(data) > trust.MaxFileSize {
		return OverLimit(fmt.Sprintf("%s would be %d bytes", path, len(data)))
	}
	return d.Replace(category, data)
}

// runningAs names the user an IsActive verdict is for, as in "IsActive
// running as uid 0".
func runningAs(uid int) string {
	if uid < 0 {
		return "running as this user"
	}
	return fmt.Sprintf("running as uid %d", uid)
}
