package trust

import "fmt"

// The unix rules: a wrench directory or category file is trusted when its
// owner is the process's effective user or root, and neither its group nor
// others may write it. Anyone who can write it can arm a wrench in the
// process, so only those who could already act as the process may.

// Ownership is what the unix rules look at: the facts fstat gives about
// one directory or file.
type Ownership struct {
	// Kind is what the object is; only a directory is ever a wrench
	// directory, and only a regular file is ever read.
	Kind Kind
	// UID is the object's owner, which must be root or the process's
	// effective user.
	UID uint32
	// Perm is the permission bits, 0o7777 at most.
	Perm uint32
	// Size is the object's size in bytes, held to MaxFileSize for a
	// category file.
	Size int64
}

// DirVerdict says why a process running as euid must not trust a wrench
// directory with these facts, or "" when it may.
func DirVerdict(o Ownership, euid int) string {
	if o.Kind != KindDirectory {
		return NotDirectory(o.Kind)
	}
	return ownerModeVerdict(o, euid)
}

// DirTrusted is DirVerdict(o, euid) == "", small enough to be inlined:
// IsActive asks it on every call that finds a category file, to learn
// that the directory it keeps open is still trusted, and needs no words.
func DirTrusted(o Ownership, euid int) bool {
	return o.Kind == KindDirectory && ownerModeTrusted(o, euid)
}

// FileVerdict says why a process running as euid must not trust a category
// file with these facts, or "" when it may.
func FileVerdict(o Ownership, euid int) string {
	if o.Kind != KindRegular {
		return NotRegular(o.Kind)
	}
	if o.Size > MaxFileSize {
		return TooBig(o.Size)
	}
	return ownerModeVerdict(o, euid)
}

// ownerModeTrusted is ownerModeVerdict(o, euid) == "", without the words.
func ownerModeTrusted(o Ownership, euid int) bool {
	return (int64(o.UID) == int64(euid) || o.UID == RootUID) && o.Perm&0o022 == 0
}

// ownerModeVerdict applies the rules shared by directories and files: the
// owner is the process's user or root, and nobody else may write.
func ownerModeVerdict(o Ownership, euid int) string {
	if int64(o.UID) != int64(euid) && o.UID != RootUID {
		return fmt.Sprintf("is owned by uid %d, not by uid %d or root", o.UID, euid)
	}
	if o.Perm&0o020 != 0 {
		return fmt.Sprintf("is writable by its group (mode %04o)", o.Perm)
	}
	if o.Perm&0o002 != 0 {
		return fmt.Sprintf("is writable by others (mode %04o)", o.Perm)
	}
	return ""
}
