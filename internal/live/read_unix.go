//go:build unix

package live

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// maxStateSize bounds the state file a reader reads: far more than a
// process reading every category there could be writes, and still a cap
// on what a hostile file costs. (Windows reads a state as a category
// file, within trust.MaxFileSize.)
const maxStateSize = 4 << 20

// readUserDir reads the states in path, the directory of user's states.
func readUserDir(f *Found, path, user string) {
	uid, err := strconv.Atoi(user)
	if err != nil || uid < 0 || strconv.Itoa(uid) != user {
		f.ignore(path, "is not named %sUID", DirPrefix)
		return
	}
	fd, st, err := sys.OpenDir(path, true)
	if err != nil {
		if err == unix.ELOOP || err == unix.ENOTDIR {
			f.ignore(path, "%s", trust.NotDirectory(sys.KindOf(uint32(st.Mode))))
			return
		}
		f.ignore(path, "%s", trust.CannotOpen(err))
		return
	}
	dir := os.NewFile(uintptr(fd), path)
	defer dir.Close()
	if v := trust.DirVerdict(sys.OwnershipOf(&st), uid); v != "" {
		f.ignore(path, "%s", v)
		return
	}
	names, err := dir.Readdirnames(-1)
	if err != nil {
		f.ignore(path, "cannot be listed: %v", err)
		return
	}
	for _, name := range names {
		if pid, ok := tempPID(name); ok {
			if _, _, running := running(pid); !running {
				unix.Unlinkat(fd, name, 0) // a crashed publisher's litter
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
		readState(f, fd, path, name, uid)
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
