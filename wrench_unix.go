//go:build unix

package wrench

import (
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// defaultDataDir is /var/lib, so rules live in /var/lib/wrench.
func defaultDataDir() string { return "/var/lib" }

// userID identifies the user whose files, besides root's, are trusted: a
// uid. It is an alias so the unix rules keep taking a plain int.
type userID = int

// effectiveUser is the user whose files, besides root's, are trusted.
func effectiveUser() userID { return os.Geteuid() }

// catFile is what the platform keeps to find a category file fast: on
// unix its path ready for a stat that allocates nothing, and the last
// refusal of the wrench directory while the file was in a given state.
type catFile struct {
	pathz []byte // the file's path, NUL-terminated

	// dirRefused is the last refusal of the directory while the file was
	// in a given state: while both stay as they were, a call answers
	// false with two stats, without the lock or a new open.
	dirRefused atomic.Pointer[dirRefusal]
}

// dirRefusal pairs a category file's state with the state of the wrench
// directory that was refused when the file was in it. Unix only: Windows
// opens the directory on every call anyway.
type dirRefusal struct {
	file, dir sys.FileKey
}

func newCatFile(name, path string) catFile {
	return catFile{pathz: append([]byte(path), 0)}
}

// hasEntry reports whether anything is at the path of the category name:
// false means there is nothing to honour. It costs one stat and allocates
// nothing, for the categories that are not remembered.
func (dd *dataDirState) hasEntry(name string) bool {
	var buf [512]byte
	pathz := buf[:0]
	if len(dd.wrenchDirz)+len(name)+1 > len(buf) {
		pathz = make([]byte, 0, len(dd.wrenchDirz)+len(name)+1)
	}
	pathz = append(pathz, dd.wrenchDir...)
	pathz = append(pathz, '/')
	pathz = append(pathz, name...)
	pathz = append(pathz, 0)
	var st unix.Stat_t
	return sys.Lstatz(pathz, &st) == 0
}

// opened is what onDisk found at the category path: on unix only the
// state a stat of the path gave, for nothing is held open.
type opened struct {
	key sys.FileKey
}

// close releases what onDisk opened: on unix, nothing.
func (o opened) close() {}

// dirTrusted reports whether the wrench directory is still the one last
// found trusted, and still trusted (see trustedDir.keptStillTrusted).
func (o opened) dirTrusted(dd *dataDirState) bool { return dd.dir.keptStillTrusted(dd) }

// onDisk looks at the category file's path. ok is false when there is
// nothing to honour: no file, or a wrench directory refused in the very
// state it was refused in with the file as it is (logged then); err then
// says why the path cannot be looked at, when it cannot (the wrench
// directory is a file, or cannot be searched). It costs one stat, and
// another when the directory was refused.
func (c *category) onDisk(dd *dataDirState) (o opened, ok bool, err error) {
	var st unix.Stat_t
	if errno := sys.Lstatz(c.file.pathz, &st); errno != 0 {
		if errno == unix.ENOENT {
			if logger.IsTraceEnabled() {
				logger.Tracef("no file %s", c.path)
			}
			return o, false, nil
		}
		return o, false, errno
	}
	o.key = sys.KeyOf(&st)
	if c.file.dirStillRefused(dd, o.key) {
		return o, false, nil
	}
	return o, true, nil
}

// dirStillRefused reports whether the file, in state key, and the wrench
// directory are both as they were when the directory was last refused.
// Unix only: Windows opens the directory on every call anyway.
func (f *catFile) dirStillRefused(dd *dataDirState, key sys.FileKey) bool {
	r := f.dirRefused.Load()
	if r == nil || r.file != key {
		return false
	}
	var st unix.Stat_t
	return sys.Lstatz(dd.wrenchDirz, &st) == 0 && sys.KeyOf(&st) == r.dir
}

// reload verifies and reads the category file found by onDisk as o,
// unless what it opens is in state kept. Everything is checked on the
// descriptors actually read: the directory is opened without following a
// symlink, the file is opened beneath it without following one and
// without blocking.
func (c *category) reload(dd *dataDirState, o opened, kept sys.FileKey) found {
	dir, refused, ok := dd.dir.open(dd)
	if !ok {
		if refused != (sys.FileKey{}) {
			c.file.dirRefused.Store(&dirRefusal{file: o.key, dir: refused})
		}
		return found{what: foundNothing}
	}
	c.file.dirRefused.Store(nil)
	defer dd.dir.adopt(dir)

	// Never open what is not a regular file: a FIFO would block and a
	// device could act on being opened. Refusing needs no descriptor.
	if kind := o.key.Kind(); kind != trust.KindRegular {
		return found{what: foundRefused, key: o.key, reason: trust.NotRegular(kind)}
	}
	f, st, err := sys.OpenFile(dir.fd, dd.wrenchDir, c.name)
	switch {
	case err == unix.EACCES || err == unix.EPERM:
		// A refusal like any other, remembered for the state the stat
		// saw: a chmod, chown or rewrite is a new state, tried afresh.
		return found{what: foundRefused, key: o.key, reason: trust.CannotOpen(err)}
	case err == unix.ENOENT:
		return found{what: foundNothing} // replaced meanwhile; the next call sees what it became
	case err != nil:
		// A passing failure, such as no descriptor left: try again.
		return found{what: foundFailed, reason: trust.CannotOpen(err)}
	}
	defer f.Close()
	key := sys.KeyOf(&st)
	if key == kept {
		return found{what: foundSame}
	}
	if reason := trust.FileVerdict(sys.OwnershipOf(&st), dd.euid); reason != "" {
		return found{what: foundRefused, key: key, reason: reason}
	}
	data, tooBig, err := sys.ReadRules(f)
	switch {
	case err != nil:
		return found{what: foundFailed, reason: trust.CannotRead(err)}
	case tooBig:
		return found{what: foundRefused, key: key, reason: trust.Grew}
	}
	return found{what: foundRead, key: key, data: data}
}

// trustedDir is what IsActive keeps of the wrench directory last found
// trusted: on unix, a descriptor of it. The descriptor is what category
// files are opened beneath, and it names the directory their snapshots
// were read from.
//
// The hot path never uses the descriptor itself, which follows the
// directory wherever it is renamed: it checks that the wrench directory's
// path still names that directory. Holding the descriptor open keeps the
// directory's inode from being reused, so its device and inode numbers
// cannot come to name another directory.
type trustedDir struct {
	kept atomic.Pointer[openedDir] // nil when there is none

	mu      sync.Mutex // serialises adopt and close
	retired bool

	refusals dirRefusals
}

// openedDir is the wrench directory, opened and verified: on unix its
// descriptor, and which directory that is.
type openedDir struct {
	fd int
	id sys.FileID
}

// keptStillTrusted reports whether the wrench directory's path names,
// now, the directory the kept descriptor refers to, and whether that still
// passes the trust rules: a chmod or chown of the directory shows at once,
// and so does a directory renamed away, or replaced by a symbolic link
// (even to the very directory that was trusted) or by anything else. false
// also means "not known": the caller then verifies the directory afresh.
// Unix only: Windows keeps no descriptor.
//
// Only a stat of the path can tell this: a stat of the category file's
// path follows a symbolic link in the middle, and the descriptor follows
// the directory it was opened on.
func (d *trustedDir) keptStillTrusted(dd *dataDirState) bool {
	kept := d.kept.Load()
	if kept == nil {
		return false
	}
	var st unix.Stat_t
	if sys.Lstatz(dd.wrenchDirz, &st) != 0 || sys.IDOf(&st) != kept.id {
		return false
	}
	return trust.DirTrusted(sys.OwnershipOf(&st), dd.euid)
}

// open opens the wrench directory afresh and verifies it on what was
// opened. ok is false when there is no trusted directory; a refusal is
// logged once per directory state, and refused is that state when it is
// known (it is zero when there is no directory).
func (d *trustedDir) open(dd *dataDirState) (dir openedDir, refused sys.FileKey, ok bool) {
	fd, st, err := sys.OpenDir(dd.wrenchDir, false)
	switch {
	case err == unix.ENOENT:
		return dir, refused, false
	case err != nil && st.Mode != 0:
		refused = sys.KeyOf(&st)
		reason := trust.DirVerdict(sys.OwnershipOf(&st), dd.euid)
		if reason == "" {
			reason = trust.CannotOpen(err) // a directory it may trust, but cannot open
		}
		d.refusals.refuse(dd.wrenchDir, refused, reason)
		return dir, refused, false
	case err != nil:
		d.refusals.refuse(dd.wrenchDir, refused, trust.CannotOpen(err))
		return dir, refused, false
	}
	if reason := trust.DirVerdict(sys.OwnershipOf(&st), dd.euid); reason != "" {
		unix.Close(fd)
		refused = sys.KeyOf(&st)
		d.refusals.refuse(dd.wrenchDir, refused, reason)
		return dir, refused, false
	}
	d.refusals.trusted()
	return openedDir{fd: fd, id: sys.IDOf(&st)}, refused, true
}

// adopt keeps dir, freshly opened and verified, unless the one kept
// already is the same directory. Unix only: Windows keeps no descriptor.
func (d *trustedDir) adopt(dir openedDir) {
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := d.kept.Load()
	if d.retired || (kept != nil && kept.id == dir.id) {
		unix.Close(dir.fd)
		return
	}
	d.kept.Store(&dir)
	if kept != nil {
		unix.Close(kept.fd) // after the store: see trustedDir
	}
}

// close drops what is kept of the wrench directory, for good.
func (d *trustedDir) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retired = true
	if kept := d.kept.Swap(nil); kept != nil {
		unix.Close(kept.fd)
	}
}
