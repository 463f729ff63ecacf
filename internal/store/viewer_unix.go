//go:build unix

package store

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

// Viewer is the user a verdict is for, with the groups its process has,
// as the trust rules judge it. It is a type of its own so that Windows,
// which judges for the current user only, can have one too.
type Viewer struct{ trust.Viewer }

// ViewerOf is the user uid as Check judges for it. For this very process
// (self) that is its own groups. For another process it is the groups the
// user database gives uid, its primary group and those that list it, which
// is what a process started for the user by login, su, sudo or an init
// system has; a process that changed its groups itself may differ.
func ViewerOf(uid int, self bool) Viewer {
	v := Viewer{trust.Viewer{UID: uid, Groups: map[uint32]bool{}}}
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

// ReachDir says why a process of v could not reach the wrench directory
// at path, or "": a directory on the way that it cannot search.
func (v Viewer) ReachDir(path string) string {
	if v.UID == trust.RootUID {
		return "" // root searches every directory: nothing to look at
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Sprintf("cannot be located: %v", err)
	}
	return v.Reach(abs, namespace{})
}

// namespace is the file system as ReachDir walks it, through the system
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

// ChecksOtherUsers is true: on unix, Check can judge for any uid, because
// the trust rules are about owners and mode bits.
const ChecksOtherUsers = true

// CallerUID is the user this process writes and checks as: its effective
// uid, the one IsActive in this process would trust besides root.
func CallerUID() int { return os.Geteuid() }
