package wrench

import "fmt"

// MaxFileSize is the largest category file wrench reads. A larger file is
// refused as a whole: a rules file is a few lines, and a cap keeps a hostile
// or runaway file from costing the agent memory.
const MaxFileSize = 64 << 10

// rootUID is the one user besides the process's own that may arm a wrench.
const rootUID = 0

// fileKind is the type of a file system object, reduced to what the trust
// rules distinguish between.
type fileKind int

const (
	kindRegular fileKind = iota
	kindDirectory
	kindSymlink
	kindFIFO
	kindDevice
	kindSocket
	kindOther
)

// String names the kind the way a refusal message reads.
func (k fileKind) String() string {
	switch k {
	case kindRegular:
		return "a regular file"
	case kindDirectory:
		return "a directory"
	case kindSymlink:
		return "a symbolic link"
	case kindFIFO:
		return "a named pipe (FIFO)"
	case kindDevice:
		return "a device"
	case kindSocket:
		return "a socket"
	}
	return "not a regular file or directory"
}

// ownership is what the unix trust rules look at: the facts fstat gives
// about one directory or file.
type ownership struct {
	kind fileKind
	uid  uint32
	perm uint32 // the permission bits, 0o7777 at most
	size int64
}

// dirVerdict says why a process running as euid must not trust a wrench
// directory with these facts, or "" when it may.
func dirVerdict(o ownership, euid int) string {
	if o.kind != kindDirectory {
		return fmt.Sprintf("is %s, not a directory", o.kind)
	}
	return ownerModeVerdict(o, euid)
}

// fileVerdict says why a process running as euid must not trust a category
// file with these facts, or "" when it may.
func fileVerdict(o ownership, euid int) string {
	if o.kind != kindRegular {
		return fmt.Sprintf("is %s, not a regular file", o.kind)
	}
	if o.size > MaxFileSize {
		return fmt.Sprintf("is %d bytes, over the %d byte limit", o.size, MaxFileSize)
	}
	return ownerModeVerdict(o, euid)
}

// ownerModeVerdict applies the rules shared by directories and files: the
// owner is the process's user or root, and nobody else may write.
func ownerModeVerdict(o ownership, euid int) string {
	if int64(o.uid) != int64(euid) && o.uid != rootUID {
		return fmt.Sprintf("is owned by uid %d, not by uid %d or root", o.uid, euid)
	}
	if o.perm&0o020 != 0 {
		return fmt.Sprintf("is writable by its group (mode %04o)", o.perm)
	}
	if o.perm&0o002 != 0 {
		return fmt.Sprintf("is writable by others (mode %04o)", o.perm)
	}
	return ""
}
