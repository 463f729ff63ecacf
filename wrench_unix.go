//go:build unix

package wrench

import (
	"os"
	"path/filepath"
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

// category is what wrench keeps for one category of one data directory.
type category struct {
	name  string
	path  string
	pathz []byte // path, NUL-terminated, so the hot path's stat allocates nothing

	snap atomic.Pointer[snapshot] // the last state read, trusted or refused

	// dirRefused is the last refusal of the directory while this file
	// was in a given state: while both stay as they were, a call answers
	// false with two stats, without the lock or a new open.
	dirRefused atomic.Pointer[dirRefusal]

	mu      sync.Mutex    // serialises reloads
	lastErr atomic.Uint32 // the last stat error logged, so each is logged once
}

// dirRefusal pairs a category file's state with the state of the wrench
// directory that was refused when the file was in it.
type dirRefusal struct {
	file, dir sys.FileKey
}

func newCategory(dd *dataDirState, name string) *category {
	path := filepath.Join(dd.wrenchDir, name)
	return &category{name: name, path: path, pathz: append([]byte(path), 0)}
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

// onDisk returns the snapshot of the category file as it is on disk now,
// or nil when there is nothing to honour (no directory, no file, refused).
//
// The common cases cost one system call (no directory, no file) or two (the
// file is unchanged: a stat of its path and a stat of the wrench
// directory's path, which must still name the directory it was read from).
func (c *category) onDisk(dd *dataDirState) *snapshot {
	var st unix.Stat_t
	if errno := sys.Lstatz(c.pathz, &st); errno != 0 {
		if errno == unix.ENOENT {
			if logger.IsTraceEnabled() {
				logger.Tracef("no file %s", c.path)
			}
			return nil
		}
		c.statFailed(dd, errno)
		return nil
	}
	key := sys.KeyOf(&st)
	if s := c.snap.Load(); s != nil && s.key == key {
		if s.rules == nil {
			return nil // refused in this very state, and logged then
		}
		if dd.dir.trusted(dd) {
			return s
		}
	}
	if c.dirStillRefused(dd, key) {
		return nil // refused in this very state, and logged then
	}
	return c.reload(dd, key)
}

// dirStillRefused reports whether the file, in state key, and the wrench
// directory are both as they were when the directory was last refused.
func (c *category) dirStillRefused(dd *dataDirState, key sys.FileKey) bool {
	r := c.dirRefused.Load()
	if r == nil || r.file != key {
		return false
	}
	var st unix.Stat_t
	return sys.Lstatz(dd.wrenchDirz, &st) == 0 && sys.KeyOf(&st) == r.dir
}

// changed reports whether the category file is no longer the one snap was
// read from, or its directory is no longer trusted.
func (c *category) changed(dd *dataDirState, snap *snapshot) bool {
	var st unix.Stat_t
	if sys.Lstatz(c.pathz, &st) != 0 {
		return true
	}
	return sys.KeyOf(&st) != snap.key || !dd.dir.trusted(dd)
}

// statFailed logs, once until it changes, why the category path cannot be
// looked at: the wrench directory is a file, or cannot be searched.
func (c *category) statFailed(dd *dataDirState, errno unix.Errno) {
	if unix.Errno(c.lastErr.Swap(uint32(errno))) == errno {
		return
	}
	if errno == unix.ENOTDIR {
		logger.Errorf("refusing %s: %s is not a directory", c.path, dd.wrenchDir)
		return
	}
	logger.Errorf("refusing %s: %v", c.path, errno)
}

// reload reads and verifies the category file, whose path stat gave seen,
// and stores its snapshot. Everything is checked on the descriptors
// actually read: the directory is opened without following a symlink, the
// file is opened beneath it without following one and without blocking.
func (c *category) reload(dd *dataDirState, seen sys.FileKey) *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	reloads.Add(1)
	c.lastErr.Store(0)
	if s := c.snap.Load(); s != nil && s.key == seen && s.rules == nil {
		return nil // another call refused this state meanwhile
	}
	dirfd, refused, ok := dd.dir.open(dd)
	if !ok {
		if refused != (sys.FileKey{}) {
			c.dirRefused.Store(&dirRefusal{file: seen, dir: refused})
		}
		return nil
	}
	c.dirRefused.Store(nil)
	defer dd.dir.adopt(dirfd)

	// Never open what is not a regular file: a FIFO would block and a
	// device could act on being opened. Refusing needs no descriptor.
	if kind := seen.Kind(); kind != trust.KindRegular {
		return c.keep(refusedSnapshot(seen, c.path, trust.NotRegular(kind)))
	}
	f, st, err := sys.OpenBeneath(dirfd, dd.wrenchDir, c.name)
	switch {
	case err == unix.EACCES || err == unix.EPERM:
		// A refusal like any other, remembered for the state the stat
		// saw: a chmod, chown or rewrite is a new state, tried afresh.
		return c.keep(refusedSnapshot(seen, c.path, trust.CannotOpen(err)))
	case err == unix.ENOENT:
		return nil // replaced meanwhile; the next call sees what it became
	case err != nil:
		logger.Errorf("refusing %s: %v", c.path, err)
		return nil // a passing failure, such as no descriptor left: try again
	}
	defer f.Close()
	key := sys.KeyOf(&st)
	if s := c.snap.Load(); s != nil && s.key == key {
		return s.usable() // unchanged: keep its counts
	}
	if reason := trust.FileVerdict(sys.OwnershipOf(&st), dd.euid); reason != "" {
		return c.keep(refusedSnapshot(key, c.path, reason))
	}
	data, tooBig, err := sys.ReadRules(f)
	switch {
	case err != nil:
		logger.Errorf("refusing %s: %v", c.path, err)
		return nil // a read error may pass: try again on the next call
	case tooBig:
		return c.keep(refusedSnapshot(key, c.path, trust.Grew))
	}
	return c.keep(newSnapshot(key, c.name, c.path, data))
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
	kept atomic.Pointer[dirFD] // nil when there is none

	mu      sync.Mutex // serialises adopt and close
	retired bool

	refusalMu   sync.Mutex
	lastRefusal dirLogged // the last directory refusal logged
}

// dirFD is one open descriptor of a verified wrench directory.
type dirFD struct {
	fd       int
	dev, ino uint64
}

// dirLogged is a logged refusal of the wrench directory: its state and why.
type dirLogged struct {
	key    sys.FileKey
	reason string
}

// trusted reports whether the wrench directory's path names, now, the
// directory the kept descriptor refers to, and whether that still passes
// the trust rules: a chmod or chown of the directory shows at once, and
// so does a directory renamed away, or replaced by a symbolic link (even
// to the very directory that was trusted) or by anything else. false also
// means "not known": the caller then verifies the directory afresh.
//
// Only a stat of the path can tell this: a stat of the category file's
// path follows a symbolic link in the middle, and the descriptor follows
// the directory it was opened on.
func (d *trustedDir) trusted(dd *dataDirState) bool {
	kept := d.kept.Load()
	if kept == nil {
		return false
	}
	var st unix.Stat_t
	if sys.Lstatz(dd.wrenchDirz, &st) != 0 || uint64(st.Dev) != kept.dev || uint64(st.Ino) != kept.ino {
		return false
	}
	return trust.DirTrusted(sys.OwnershipOf(&st), dd.euid)
}

// open opens the wrench directory afresh and verifies it on the
// descriptor. ok is false when there is no trusted directory; a refusal is
// logged once per directory state, and refused is that state when it is
// known (it is zero when there is no directory).
func (d *trustedDir) open(dd *dataDirState) (fd int, refused sys.FileKey, ok bool) {
	fd, err := unix.Open(dd.wrenchDir, sys.DirOpenFlags|unix.O_NOFOLLOW|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	var st unix.Stat_t
	if err != nil {
		switch {
		case err == unix.ENOENT:
		case unix.Lstat(dd.wrenchDir, &st) == nil:
			refused = sys.KeyOf(&st)
			d.refuse(dd.wrenchDir, refused, trust.DirVerdict(sys.OwnershipOf(&st), dd.euid))
		default:
			d.refuse(dd.wrenchDir, sys.FileKey{}, err.Error())
		}
		return -1, refused, false
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		d.refuse(dd.wrenchDir, sys.FileKey{}, err.Error())
		return -1, refused, false
	}
	if reason := trust.DirVerdict(sys.OwnershipOf(&st), dd.euid); reason != "" {
		unix.Close(fd)
		refused = sys.KeyOf(&st)
		d.refuse(dd.wrenchDir, refused, reason)
		return -1, refused, false
	}
	return fd, refused, true
}

// refuse logs a directory refusal unless this state was logged already.
func (d *trustedDir) refuse(path string, key sys.FileKey, reason string) {
	if reason == "" {
		reason = "changed while being opened"
	}
	d.refusalMu.Lock()
	defer d.refusalMu.Unlock()
	if (dirLogged{key, reason}) == d.lastRefusal {
		return
	}
	d.lastRefusal = dirLogged{key, reason}
	logger.Errorf("refusing wrench directory %s: %s", path, reason)
}

// adopt keeps fd, a freshly verified descriptor of the wrench directory,
// unless the one kept already refers to the same directory.
func (d *trustedDir) adopt(fd int) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		unix.Close(fd)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := d.kept.Load()
	if d.retired || (kept != nil && kept.dev == uint64(st.Dev) && kept.ino == uint64(st.Ino)) {
		unix.Close(fd)
		return
	}
	d.kept.Store(&dirFD{fd: fd, dev: uint64(st.Dev), ino: uint64(st.Ino)})
	if kept != nil {
		unix.Close(kept.fd) // after the store: see trustedDir
	}
	d.refusalMu.Lock()
	d.lastRefusal = dirLogged{}
	d.refusalMu.Unlock()
}

// close drops the kept descriptor for good.
func (d *trustedDir) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.retired = true
	if kept := d.kept.Swap(nil); kept != nil {
		unix.Close(kept.fd)
	}
}
