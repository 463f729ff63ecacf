//go:build unix

package live

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/juju/errors"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// maxStateSize bounds the state file a reader reads: far more than a
// process reading every category there could be writes, and still a cap
// on what a hostile file costs. (Windows reads a state as a category
// file, within trust.MaxFileSize.)
const maxStateSize = 4 << 20

// wrenchHandle is the wrench directory Read reads: opened without
// following a link, and judged, once; every directory of states is
// opened beneath it.
type wrenchHandle struct {
	dir  *os.File
	path string
	own  trust.Ownership
}

// openWrench opens the wrench directory for Read. It returns nil, with
// nothing ignored, when there is none, and nil, with the directory
// ignored and why, when it is not one whose entries only its owner may
// change.
func openWrench(f *Found, wrenchDir string) (*wrenchHandle, error) {
	fd, st, err := sys.OpenDir(wrenchDir, true)
	switch {
	case err == unix.ENOENT:
		return nil, nil
	case err == unix.ELOOP || err == unix.ENOTDIR:
		f.ignore(wrenchDir, "%s", trust.NotDirectory(sys.KindOf(uint32(st.Mode))))
		return nil, nil
	case err != nil:
		return nil, errors.Annotatef(&os.PathError{Op: "open", Path: wrenchDir, Err: err}, "cannot read live state")
	}
	o := sys.OwnershipOf(&st)
	// Whoever owns it: which owners a process trusts is its own user's
	// question, asked of each directory of states (readUserDir). Here,
	// only that nobody else may add, rename or remove entries.
	if v := trust.DirVerdict(o, int(o.UID)); v != "" {
		unix.Close(fd)
		f.ignore(wrenchDir, "%s", v)
		return nil, nil
	}
	return &wrenchHandle{dir: os.NewFile(uintptr(fd), wrenchDir), path: wrenchDir, own: o}, nil
}

func (w *wrenchHandle) close() { w.dir.Close() }

func (w *wrenchHandle) names() ([]string, error) { return w.dir.Readdirnames(-1) }

// readUserDir reads the states in the entry name of the wrench
// directory, the directory of user's states.
func (w *wrenchHandle) readUserDir(f *Found, name, user string) {
	path := filepath.Join(w.path, name)
	uid, err := strconv.Atoi(user)
	if err != nil || uid < 0 || strconv.Itoa(uid) != user {
		f.ignore(path, "is not named %sUID", DirPrefix)
		return
	}
	if v := trust.DirVerdict(w.own, uid); v != "" {
		// A process of uid would not publish here, and whoever owns the
		// wrench directory may hide or swap what is in it.
		f.ignore(path, "is in the wrench directory, which %s", v)
		return
	}
	fd, err := unix.Openat(int(w.dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP || err == unix.ENOTDIR {
			var st unix.Stat_t
			kind := trust.KindOther
			if unix.Fstatat(int(w.dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
				kind = sys.KindOf(uint32(st.Mode))
			}
			f.ignore(path, "%s", trust.NotDirectory(kind))
			return
		}
		f.ignore(path, "%s", trust.CannotOpen(err))
		return
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		f.ignore(path, "%s", trust.CannotOpen(err))
		return
	}
	dir := os.NewFile(uintptr(fd), path)
	defer dir.Close()
	if v := trust.DirVerdict(sys.OwnershipOf(&st), uid); v != "" {
		f.ignore(path, "%s", v)
		return
	}
	entries, err := dir.Readdirnames(-1)
	if err != nil {
		f.ignore(path, "cannot be listed: %v", err)
		return
	}
	for _, entry := range entries {
		if pid, ok := tempPID(entry); ok {
			if _, _, running := running(pid); !running {
				unix.Unlinkat(fd, entry, 0) // a crashed publisher's litter
			}
			continue
		}
		if strings.HasPrefix(entry, ".") {
			continue
		}
		if _, ok := pidName(entry); !ok {
			f.ignore(filepath.Join(path, entry), "is not named for a pid")
			continue
		}
		readState(f, fd, path, entry, uid)
	}
}

// readState reads the state name in the directory dirfd, at dirPath, of
// uid's states.
func readState(f *Found, dirfd int, dirPath, name string, uid int) {
	path := filepath.Join(dirPath, name)
	file, st, err := sys.OpenFile(dirfd, dirPath, name)
	if err == unix.ENOENT {
		return // its process ended meanwhile
	}
	if err != nil {
		if err == unix.ELOOP {
			f.ignore(path, "%s", trust.NotRegular(trust.KindSymlink))
			return
		}
		f.ignore(path, "%s", trust.CannotOpen(err))
		return
	}
	defer file.Close()
	o := sys.OwnershipOf(&st)
	if o.Kind == trust.KindRegular && o.Size > maxStateSize {
		f.ignore(path, "is %d bytes, over the %d a state may be", o.Size, maxStateSize)
		return
	}
	o.Size = 0 // a state's limit is its own, checked above
	if v := trust.FileVerdict(o, uid); v != "" {
		f.ignore(path, "%s", v)
		return
	}
	data, err := io.ReadAll(io.LimitReader(file, maxStateSize))
	if err != nil {
		f.ignore(path, "%s", trust.CannotRead(err))
		return
	}
	p, err := Decode(data)
	if err != nil {
		f.ignore(path, "%v", err)
		return
	}
	reason, dead := verify(p, name, "", uid)
	switch {
	case dead:
		unix.Unlinkat(dirfd, name, 0) // best effort: the owner or root may
	case reason != "":
		f.ignore(path, "%s", reason)
	default:
		f.Processes = append(f.Processes, p)
	}
}
