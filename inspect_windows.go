//go:build windows

package wrench

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench/internal/trust"
)

// On Windows the trust rules are about owners and ACLs of the current
// user, which verifyPathWindows (wrench_windows.go) applies to a path
// opened without following a reparse point. Check therefore judges for the
// current user only: CheckUser, and the command's --uid, are errors here.

// checksOtherUsers is false: Windows verdicts are for the current user.
const checksOtherUsers = false

// callerUID is -1: Windows has no uid, and every verdict is for the
// current user.
func callerUID() int { return -1 }

// rulesDir is the wrench directory opened for the writer, List and Check.
type rulesDir struct {
	path string
	// reason and verifyErr are verifyPathWindows's verdict on the
	// directory when it was opened.
	reason    string
	verifyErr error
}

// openRulesDir looks at the wrench directory at path without following a
// reparse point. It returns an error satisfying os.IsNotExist when there
// is none, and a *notDirError when path is something other than a
// directory.
func openRulesDir(path string) (*rulesDir, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if kind := trust.KindOfMode(fi.Mode()); kind != trust.KindDirectory {
		return nil, &notDirError{path: path, kind: kind}
	}
	reason, err := verifyPathWindows(path, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return &rulesDir{path: path, reason: reason, verifyErr: err}, nil
}

// openRulesDirToLook is openRulesDir: IsActive looks at the directory by
// its path too.
func openRulesDirToLook(path string) (*rulesDir, error) {
	return openRulesDir(path)
}

// viewer is the user a verdict is for: on Windows always the current
// user, whose token the ACL checks use.
type viewer struct{}

// viewerOf is the current user, whatever uid says.
func viewerOf(uid int, self bool) viewer { return viewer{} }

// reach is "": Windows grants every user the right to pass through the
// directories above (the bypass-traverse-checking privilege), so only the
// wrench directory's and the files' own ACLs count.
func (v viewer) reach(path string) string { return "" }

// verdictFor is verdict for the current user.
func (d *rulesDir) verdictFor(v viewer) string { return d.verdict(-1) }

// verdictFor is verdict for the current user.
func (st *fileState) verdictFor(v viewer) string { return st.verdict(-1) }

// close releases nothing: the directory is used by its path.
func (d *rulesDir) close() {}

// verdict says why IsActive in a process running as the current user
// would refuse the directory, or "" when it would use it. uid is ignored.
func (d *rulesDir) verdict(uid int) string {
	if d.verifyErr != nil {
		return fmt.Sprintf("cannot be verified: %v", errors.Cause(d.verifyErr))
	}
	return d.reason
}

// readerUID is -1: Windows verdicts are for the current user.
func (d *rulesDir) readerUID() int { return -1 }

// names lists the directory's entries.
func (d *rulesDir) names() ([]string, error) {
	des, err := os.ReadDir(d.path)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list %s", d.path)
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names, nil
}

// fileState is one look at a category file: whether it exists, whether
// the current user's IsActive would trust it, and its content when it is
// a regular file within the size limit.
type fileState struct {
	path       string
	exists     bool
	content    []byte // nil unless read; empty for an empty file
	unreadable string // why content is nil when the file exists
	reason     string // verifyPathWindows's refusal, "" when trusted
	verifyErr  error
}

// look examines the entry name in the directory. A reparse point is
// described, never followed, and nothing but a regular file is opened.
func (d *rulesDir) look(name string) (fileState, error) {
	st := fileState{path: filepath.Join(d.path, name)}
	fi, err := os.Lstat(st.path)
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return st, errors.Annotatef(err, "cannot stat %s", st.path)
	}
	st.exists = true
	if kind := trust.KindOfMode(fi.Mode()); kind != trust.KindRegular {
		st.unreadable = trust.NotRegular(kind)
		return st, nil
	}
	if fi.Size() > MaxFileSize {
		st.unreadable = trust.TooBig(fi.Size())
		return st, nil
	}
	st.reason, st.verifyErr = verifyPathWindows(st.path, false)
	if errors.Is(st.verifyErr, fs.ErrNotExist) {
		return fileState{path: st.path}, nil // removed meanwhile
	}
	f, err := os.Open(st.path)
	if err != nil {
		st.unreadable = trust.CannotOpen(errors.Cause(err))
		return st, nil
	}
	defer f.Close()
	// os.Open follows a reparse point: make sure what was opened is the
	// file that was looked at, not something swapped in since.
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		st.unreadable = "changed while being read"
		return st, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		st.unreadable = trust.CannotRead(err)
	case len(data) > MaxFileSize:
		st.unreadable = trust.Grew
	default:
		st.content = data
	}
	return st, nil
}

// verdict says why IsActive in a process running as the current user
// would refuse the file, or "" when it would read it (or there is no
// file). uid is ignored.
func (st *fileState) verdict(uid int) string {
	switch {
	case !st.exists:
		return ""
	case st.content == nil && st.reason == "" && st.verifyErr == nil:
		return st.unreadable
	case st.verifyErr != nil:
		return fmt.Sprintf("cannot be verified: %v", errors.Cause(st.verifyErr))
	case st.reason != "":
		return st.reason
	}
	return st.unreadable
}
