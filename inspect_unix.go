//go:build unix

package wrench

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"
)

// rulesDir is the wrench directory opened for the writer, List and Check.
// Everything beneath it is looked at relative to the descriptor, never by
// following a path again, so swapping the directory for a symbolic link
// midway changes nothing.
type rulesDir struct {
	path string
	fd   int
	own  ownership
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
// dirOpenFlags): on Linux that needs search permission only, so Check and
// List can look at the files of a directory they may not list. names
// then fails with a permission error.
func openRulesDirToLook(path string) (*rulesDir, error) {
	return openDir(path, dirOpenFlags)
}

func openDir(path string, flags int) (*rulesDir, error) {
	fd, err := unix.Open(path, flags|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		var st unix.Stat_t
		if (err == unix.ELOOP || err == unix.ENOTDIR) && unix.Lstat(path, &st) == nil {
			return nil, &notDirError{path: path, kind: kindOf(uint32(st.Mode))}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return &rulesDir{path: path, fd: fd, own: ownershipOf(&st), gid: st.Gid}, nil
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
const dirOpenNeedsRead = dirOpenFlags == unix.O_RDONLY

// verdictFor says why IsActive in a process of v would refuse the
// directory, or "" when it would use it. Listing the directory is not
// among IsActive's needs: it looks up the categories it is asked for.
func (d *rulesDir) verdictFor(v viewer) string {
	if reason := dirVerdict(d.own, v.uid); reason != "" {
		return reason
	}
	facts := modeFacts{uid: d.own.uid, gid: d.gid, perm: d.own.perm}
	if reason := v.access(facts, 0o1, "searched"); reason != "" {
		return reason
	}
	if dirOpenNeedsRead {
		return v.access(facts, 0o4, "read")
	}
	return ""
}

// readerUID is the user whose IsActive the writer judges for: the
// directory's owner, the one user besides root whose processes trust it.
func (d *rulesDir) readerUID() int { return int(d.own.uid) }

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
	own        ownership
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
	fs.exists, fs.own, fs.gid = true, ownershipOf(&st), st.Gid
	if fs.own.kind != kindRegular {
		fs.unreadable = fmt.Sprintf("is %s, not a regular file", fs.own.kind)
		return fs, nil
	}
	f, st, err := openBeneath(d.fd, d.path, name)
	switch {
	case err == unix.ENOENT:
		return fileState{path: fs.path}, nil // removed meanwhile
	case err == unix.ELOOP:
		fs.own.kind = kindSymlink
		fs.unreadable = fmt.Sprintf("is %s, not a regular file", kindSymlink)
		return fs, nil
	case err != nil:
		fs.unreadable = fmt.Sprintf("cannot be opened: %v", err)
		return fs, nil
	}
	defer f.Close()
	fs.own, fs.gid = ownershipOf(&st), st.Gid // what was opened is what counts
	if fs.own.kind != kindRegular {
		fs.unreadable = fmt.Sprintf("is %s, not a regular file", fs.own.kind)
		return fs, nil
	}
	if fs.own.size > MaxFileSize {
		fs.unreadable = fmt.Sprintf("is %d bytes, over the %d byte limit", fs.own.size, MaxFileSize)
		return fs, nil
	}
	data, tooBig, err := readRules(f)
	switch {
	case err != nil:
		fs.unreadable = fmt.Sprintf("cannot be read: %v", err)
		return fs, nil
	case tooBig:
		fs.unreadable = grewReason
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
	if reason := fileVerdict(fs.own, v.uid); reason != "" {
		return reason
	}
	if reason := v.access(modeFacts{uid: fs.own.uid, gid: fs.gid, perm: fs.own.perm}, 0o4, "read"); reason != "" {
		return reason
	}
	return fs.unreadable
}

// viewer is the user a verdict is for, with the groups its process has:
// the kernel grants read and search by the owner's bits, the group's bits
// or the others' bits, whichever class the process falls in.
type viewer struct {
	uid    int
	groups map[uint32]bool
	// unknown says why the groups are not known, "" when they are. A
	// grant through the group alone is then a problem that says so: it
	// may or may not apply.
	unknown string
}

// viewerOf is the user uid as Check judges for it. For this very process
// (self) that is its own groups. For another process it is the groups the
// user database gives uid, its primary group and those that list it, which
// is what a process started for the user by login, su, sudo or an init
// system has; a process that changed its groups itself may differ.
func viewerOf(uid int, self bool) viewer {
	v := viewer{uid: uid, groups: map[uint32]bool{}}
	if uid == rootUID {
		return v // root needs no permission bits
	}
	if self {
		v.groups[uint32(os.Getegid())] = true
		gids, err := os.Getgroups()
		if err != nil {
			v.unknown = fmt.Sprintf("this process's groups cannot be read: %v", err)
		}
		for _, g := range gids {
			v.groups[uint32(g)] = true
		}
		return v
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		var unknown user.UnknownUserIdError
		if errors.As(err, &unknown) {
			v.unknown = fmt.Sprintf("uid %d has no user entry, so its groups are unknown", uid)
		} else {
			v.unknown = fmt.Sprintf("the groups of uid %d cannot be looked up: %v", uid, err)
		}
		return v
	}
	gids, err := u.GroupIds()
	if err != nil {
		v.unknown = fmt.Sprintf("the groups of uid %d (%s) cannot be looked up: %v", uid, u.Username, err)
		gids = nil
	}
	for _, g := range append(gids, u.Gid) {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			v.groups[uint32(n)] = true
		}
	}
	return v
}

// modeFacts are what the kernel's permission check looks at.
type modeFacts struct {
	uid, gid, perm uint32
}

// access says why v could not read (bit 4) or search (bit 1) an object
// with these facts, or "". Root can always. As in the kernel, only one
// class counts: the owner's bits for the owner, the group's for a member
// of the group, the others' for the rest.
func (v viewer) access(o modeFacts, bit uint32, what string) string {
	switch {
	case v.uid == rootUID:
		return ""
	case int64(o.uid) == int64(v.uid):
		if o.perm&(bit<<6) != 0 {
			return ""
		}
	case v.groups[o.gid]:
		if o.perm&(bit<<3) != 0 {
			return ""
		}
		return fmt.Sprintf("cannot be %s by uid %d (mode %04o, owner uid %d, group %d, which uid %d is in)", what, v.uid, o.perm, o.uid, o.gid, v.uid)
	case o.perm&bit != 0:
		return ""
	case o.perm&(bit<<3) != 0 && v.unknown != "":
		return fmt.Sprintf("cannot be %s by uid %d unless it is in group %d (mode %04o; %s)", what, v.uid, o.gid, o.perm, v.unknown)
	}
	return fmt.Sprintf("cannot be %s by uid %d (mode %04o, owner uid %d)", what, v.uid, o.perm, o.uid)
}

// maxLinks bounds the symbolic links followed on the way to the wrench
// directory, as the kernel's own limit (40 on Linux) does.
const maxLinks = 40

// reach says why a process of v could not reach the wrench directory at
// path, or "": a directory on the way that it cannot search. The way is
// the kernel's: the path is resolved one name at a time from the root,
// following symbolic links, so the directories judged are the ones a
// lookup passes through.
func (v viewer) reach(path string) string {
	if v.uid == rootUID {
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Sprintf("cannot be located: %v", err)
	}
	todo := splitPath(filepath.Dir(abs))
	cur, links := "/", 0
	var st unix.Stat_t
	if err := unix.Stat(cur, &st); err != nil {
		return fmt.Sprintf("is out of reach: / cannot be looked at: %v", err)
	}
	for {
		if reason := v.access(modeFacts{uid: st.Uid, gid: st.Gid, perm: uint32(st.Mode) & 0o7777}, 0o1, "searched"); reason != "" {
			return fmt.Sprintf("is out of reach: %s %s", cur, reason)
		}
		for len(todo) > 0 && todo[0] == "." {
			todo = todo[1:]
		}
		if len(todo) == 0 {
			return ""
		}
		name := todo[0]
		todo = todo[1:]
		next := filepath.Join(cur, name) // cur holds no link, so ".." is lexical
		if err := unix.Lstat(next, &st); err != nil {
			if err == unix.ENOENT || err == unix.ENOTDIR {
				return "" // nothing to reach: opening the directory says so
			}
			return fmt.Sprintf("is out of reach of this process: %s cannot be looked at: %v", next, err)
		}
		switch kindOf(uint32(st.Mode)) {
		case kindSymlink:
			if links++; links > maxLinks {
				return fmt.Sprintf("is out of reach: more than %d symbolic links on the way", maxLinks)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Sprintf("is out of reach of this process: %v", err)
			}
			todo = append(splitPath(target), todo...)
			if filepath.IsAbs(target) {
				cur = "/"
			}
			if err := unix.Stat(cur, &st); err != nil {
				return fmt.Sprintf("is out of reach of this process: %s cannot be looked at: %v", cur, err)
			}
		case kindDirectory:
			cur = next
		default:
			return "" // not a directory: opening the directory says so
		}
	}
}

// splitPath is the names of path, without empty ones.
func splitPath(path string) []string {
	return strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
}

// checksOtherUsers is true: on unix, Check can judge for any uid, because
// the trust rules are about owners and mode bits.
const checksOtherUsers = true

// callerUID is the user this process writes and checks as: its effective
// uid, the one IsActive in this process would trust besides root.
func callerUID() int { return os.Geteuid() }
