//go:build unix

package wrench

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// rulesDir is the wrench directory opened for the writer, List and Check.
// Everything beneath it is looked at relative to the descriptor, never by
// following a path again, so swapping the directory for a symbolic link
// midway changes nothing.
type rulesDir struct {
	path string
	fd   int
	own  trust.Ownership
	gid  uint32
}

// openRulesDir opens the wrench directory at path without following a
// symbolic link and without blocking, for reading: the writer lists and
// syncs it. It returns an error satisfying os.IsNotExist when there is
// none, and a *notDirError when path is something other than a directory.
func openRulesDir(path string) (*rulesDir, error) {
	return openDir(path, unix.O_RDONLY)
}

// openRulesDirToLook opens the wrench directory as IsActive does (see
// sys.DirOpenFlags): on Linux that needs search permission only, so Check and
// List can look at the files of a directory they may not list. names
// then fails with a permission error.
func openRulesDirToLook(path string) (*rulesDir, error) {
	return openDir(path, sys.DirOpenFlags)
}

func openDir(path string, flags int) (*rulesDir, error) {
	fd, err := unix.Open(path, flags|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		var st unix.Stat_t
		if (err == unix.ELOOP || err == unix.ENOTDIR) && unix.Lstat(path, &st) == nil {
			return nil, &notDirError{path: path, kind: sys.KindOf(uint32(st.Mode))}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return &rulesDir{path: path, fd: fd, own: sys.OwnershipOf(&st), gid: st.Gid}, nil
}

// close releases the directory's descriptor.
func (d *rulesDir) close() {
	unix.Close(d.fd)
}

// verdict says why IsActive in a process running as uid would refuse the
// directory, or "" when it would use it.
func (d *rulesDir) verdict(uid int) string {
	return d.verdictFor(viewerOf(uid, false))
}

// dirOpenNeedsRead is whether IsActive's open of the wrench directory
// needs read permission: where there is no O_PATH it opens the directory
// for reading. Either way it needs search, to reach the files.
const dirOpenNeedsRead = sys.DirOpenFlags == unix.O_RDONLY

// verdictFor says why IsActive in a process of v would refuse the
// directory, or "" when it would use it.
func (d *rulesDir) verdictFor(v viewer) string {
	return v.DirVerdict(d.own, d.gid, dirOpenNeedsRead)
}

// readerUID is the user whose IsActive the writer judges for: the
// directory's owner, the one user besides root whose processes trust it.
func (d *rulesDir) readerUID() int { return int(d.own.UID) }

// names lists the directory's entries.
func (d *rulesDir) names() ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, errors.Annotatef(err, "cannot list %s", d.path)
	}
	f := os.NewFile(uintptr(fd), d.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	return names, errors.Annotatef(err, "cannot list %s", d.path)
}

// fileState is one look at a category file: whether it exists, what fstat
// said about it, and its content when it is a regular file within the size
// limit.
type fileState struct {
	path       string
	exists     bool
	own        trust.Ownership
	gid        uint32
	content    []byte // nil unless read; empty for an empty file
	unreadable string // why content is nil when the file exists
}

// look examines the entry name in the directory. It never follows a
// symbolic link, never opens anything but a regular file, and opens that
// without blocking, so a FIFO or device at the path is described, not
// touched.
func (d *rulesDir) look(name string) (fileState, error) {
	fs := fileState{path: filepath.Join(d.path, name)}
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return fs, nil
		}
		return fs, errors.Annotatef(err, "cannot stat %s", fs.path)
	}
	fs.exists, fs.own, fs.gid = true, sys.OwnershipOf(&st), st.Gid
	if fs.own.Kind != trust.KindRegular {
		fs.unreadable = trust.NotRegular(fs.own.Kind)
		return fs, nil
	}
	f, st, err := sys.OpenBeneath(d.fd, d.path, name)
	switch {
	case err == unix.ENOENT:
		return fileState{path: fs.path}, nil // removed meanwhile
	case err == unix.ELOOP:
		fs.own.Kind = trust.KindSymlink
		fs.unreadable = trust.NotRegular(trust.KindSymlink)
		return fs, nil
	case err != nil:
		fs.unreadable = trust.CannotOpen(err)
		return fs, nil
	}
	defer f.Close()
	fs.own, fs.gid = sys.OwnershipOf(&st), st.Gid // what was opened is what counts
	if fs.own.Kind != trust.KindRegular {
		fs.unreadable = trust.NotRegular(fs.own.Kind)
		return fs, nil
	}
	if fs.own.Size > MaxFileSize {
		fs.unreadable = trust.TooBig(fs.own.Size)
		return fs, nil
	}
	data, tooBig, err := sys.ReadRules(f)
	switch {
	case err != nil:
		fs.unreadable = trust.CannotRead(err)
		return fs, nil
	case tooBig:
		fs.unreadable = trust.Grew
		return fs, nil
	}
	fs.content = data
	return fs, nil
}

// verdict says why IsActive in a process running as uid would refuse the
// file, or "" when it would read it (or there is no file).
func (fs *fileState) verdict(uid int) string {
	return fs.verdictFor(viewerOf(uid, false))
}

// verdictFor says why IsActive in a process of v would refuse the file,
// or "" when it would read it (or there is no file).
func (fs *fileState) verdictFor(v viewer) string {
	if !fs.exists {
		return ""
	}
	if reason := v.FileVerdict(fs.own, fs.gid); reason != "" {
		return reason
	}
	return fs.unreadable
}

// viewer is the user a verdict is for, with the groups its process has,
// as the trust rules judge it. It is a type of its own so that Windows,
// which judges for the current user only, can have one too.
type viewer struct{ trust.Viewer }

// viewerOf is the user uid as Check judges for it. For this very process
// (self) that is its own groups. For another process it is the groups the
// user database gives uid, its primary group and those that list it, which
// is what a process started for the user by login, su, sudo or an init
// system has; a process that changed its groups itself may differ.
func viewerOf(uid int, self bool) viewer {
	v := viewer{trust.Viewer{UID: uid, Groups: map[uint32]bool{}}}
	if uid == trust.RootUID {
		return v // root needs no permission bits
	}
	if self {
		v.Groups[uint32(os.Getegid())] = true
		gids, err := os.Getgroups()
		if err != nil {
			v.Unknown = fmt.Sprintf("this process's groups cannot be read: %v", err)
		}
		for _, g := range gids {
			v.Groups[uint32(g)] = true
		}
		return v
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		var unknown user.UnknownUserIdError
		if errors.As(err, &unknown) {
			v.Unknown = fmt.Sprintf("uid %d has no user entry, so its groups are unknown", uid)
		} else {
			v.Unknown = fmt.Sprintf("the groups of uid %d cannot be looked up: %v", uid, err)
		}
		return v
	}
	gids, err := u.GroupIds()
	if err != nil {
		v.Unknown = fmt.Sprintf("the groups of uid %d (%s) cannot be looked up: %v", uid, u.Username, err)
		gids = nil
	}
	for _, g := range append(gids, u.Gid) {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			v.Groups[uint32(n)] = true
		}
	}
	return v
}

// reach says why a process of v could not reach the wrench directory at
// path, or "": a directory on the way that it cannot search.
func (v viewer) reach(path string) string {
	if v.UID == trust.RootUID {
		return "" // root searches every directory: nothing to look at
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Sprintf("cannot be located: %v", err)
	}
	return v.Reach(abs, namespace{})
}

// namespace is the file system as reach walks it, through the system
// calls a path lookup makes.
type namespace struct{}

// modeFactsOf reduces a stat to what the kernel's permission check looks at.
func modeFactsOf(st *unix.Stat_t) trust.ModeFacts {
	return trust.ModeFacts{UID: st.Uid, GID: st.Gid, Perm: uint32(st.Mode) & 0o7777}
}

// Stat, Lstat and Readlink make namespace a trust.Namespace.

func (namespace) Stat(path string) (trust.ModeFacts, error) {
	var st unix.Stat_t
	err := unix.Stat(path, &st)
	return modeFactsOf(&st), err
}

func (namespace) Lstat(path string) (trust.Kind, trust.ModeFacts, bool, error) {
	var st unix.Stat_t
	switch err := unix.Lstat(path, &st); {
	case err == unix.ENOENT || err == unix.ENOTDIR:
		return 0, trust.ModeFacts{}, false, nil
	case err != nil:
		return 0, trust.ModeFacts{}, false, err
	}
	return sys.KindOf(uint32(st.Mode)), modeFactsOf(&st), true, nil
}

func (namespace) Readlink(path string) (string, error) { return os.Readlink(path) }

// checksOtherUsers is true: on unix, Check can judge for any uid, because
// the trust rules are about owners and mode bits.
const checksOtherUsers = true

// callerUID is the user this process writes and checks as: its effective
// uid, the one IsActive in this process would trust besides root.
func callerUID() int { return os.Geteuid() }
