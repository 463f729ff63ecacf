//go:build unix

package sys

import (
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/trust"
)

// FileKey is a file's identity and state as fstat gives it. Any rewrite,
// touch, replacement, chmod or chown changes it; mode and owner are in it
// because timestamps can be too coarse to show a quick change. Keys are
// compared with ==.
type FileKey struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
	mode, uid    uint32
}

// KeyOf is the key of the file st describes.
func KeyOf(st *unix.Stat_t) FileKey {
	return FileKey{
		dev: uint64(st.Dev), ino: uint64(st.Ino), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
		mode: uint32(st.Mode), uid: st.Uid,
	}
}

// FileID is which file a stat describes, whatever its state: its device
// and inode numbers.
type FileID struct{ dev, ino uint64 }

// IDOf is the identity of the file st describes.
func IDOf(st *unix.Stat_t) FileID { return FileID{dev: uint64(st.Dev), ino: uint64(st.Ino)} }

// Kind is the type of object the key describes.
func (k FileKey) Kind() trust.Kind { return KindOf(k.mode) }

// Size is the size of the file the key describes, in bytes.
func (k FileKey) Size() int64 { return k.size }

// OwnershipOf reduces a stat to what the trust rules look at.
func OwnershipOf(st *unix.Stat_t) trust.Ownership {
	return trust.Ownership{Kind: KindOf(uint32(st.Mode)), UID: st.Uid, Perm: uint32(st.Mode) & 0o7777, Size: st.Size}
}

// KindOf reduces a stat's mode to the kinds the trust rules tell apart.
func KindOf(mode uint32) trust.Kind {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return trust.KindRegular
	case unix.S_IFDIR:
		return trust.KindDirectory
	case unix.S_IFLNK:
		return trust.KindSymlink
	case unix.S_IFIFO:
		return trust.KindFIFO
	case unix.S_IFCHR, unix.S_IFBLK:
		return trust.KindDevice
	case unix.S_IFSOCK:
		return trust.KindSocket
	}
	return trust.KindOther
}
