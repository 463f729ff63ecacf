package wrench

import (
	"fmt"
	"strings"
)

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
	kindReparsePoint // Windows: a symbolic link, junction or other reparse point
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
	case kindReparsePoint:
		return "a reparse point (a symbolic link or junction)"
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

// The Windows rules follow. They are plain Go so that every platform tests
// them: a SID is its string form ("S-1-5-18") and the platform file reduces
// a security descriptor to aclFacts.

// The SIDs the Windows rules trust besides the process's own user.
const (
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
	// sidOwnerRights stands for the object's owner, whatever SID that is.
	// The owner must already be trusted, so its grants are too.
	sidOwnerRights = "S-1-3-4"
)

// sidNames names the principals a refusal is likely to mention.
var sidNames = map[string]string{
	"S-1-1-0":      "Everyone",
	"S-1-3-0":      "CREATOR OWNER",
	"S-1-3-1":      "CREATOR GROUP",
	"S-1-3-4":      "OWNER RIGHTS",
	"S-1-5-2":      "NETWORK",
	"S-1-5-4":      "INTERACTIVE",
	"S-1-5-6":      "SERVICE",
	"S-1-5-7":      "ANONYMOUS LOGON",
	"S-1-5-11":     "Authenticated Users",
	"S-1-5-18":     "SYSTEM",
	"S-1-5-19":     "LOCAL SERVICE",
	"S-1-5-20":     "NETWORK SERVICE",
	"S-1-5-32-544": "Administrators",
	"S-1-5-32-545": "Users",
	"S-1-5-32-546": "Guests",
	"S-1-5-32-547": "Power Users",
	"S-1-15-2-1":   "ALL APPLICATION PACKAGES",
}

// describeSID names sid for a message: "Users (S-1-5-32-545)", or the bare
// SID when it has no well-known name.
func describeSID(sid string) string {
	if name, ok := sidNames[sid]; ok {
		return fmt.Sprintf("%s (%s)", name, sid)
	}
	return sid
}

// ace is one access control entry of a DACL, reduced to what the rules
// look at.
type ace struct {
	allow     bool   // an access-allowed ACE; otherwise access-denied
	sid       string // the principal it applies to
	mask      uint32 // the access it allows or denies
	inherited bool   // inherited from the parent rather than set here
	// inheritOnly ACEs are templates for new children: they give nothing
	// on the object itself, and a child that inherits one is checked as
	// itself when it is read.
	inheritOnly bool
}

// aclFacts is what the Windows rules look at: the facts one open handle
// gives about a directory or file.
type aclFacts struct {
	kind     fileKind
	size     int64
	owner    string // the owner's SID; "" when the descriptor has none
	nullDACL bool   // no DACL at all, which lets everyone do everything
	dacl     []ace
}

// Access rights that let a principal change what a wrench file says, or
// who may change it. They are the writing half of FILE_GENERIC_WRITE and
// FILE_ALL_ACCESS, and the generic rights that map onto them.
//
// FILE_WRITE_ATTRIBUTES counts because it sets timestamps: a touch is a
// new state of the file, which wakes paused calls to be evaluated afresh. FILE_WRITE_EA counts because Windows grants
// it as part of "Write" and nobody needs it alone; treating every part of
// write as write keeps the rule the same as unix's "no w bit for others".
// FILE_DELETE_CHILD counts on a directory, where it lets the holder delete
// or replace any category file; on a file it means nothing, so it is not
// counted there.
const (
	fileWriteData       = 0x00000002 // FILE_ADD_FILE on a directory
	fileAppendData      = 0x00000004 // FILE_ADD_SUBDIRECTORY on a directory
	fileWriteEA         = 0x00000010
	fileDeleteChild     = 0x00000040
	fileWriteAttributes = 0x00000100
	accessDelete        = 0x00010000
	writeDAC            = 0x00040000
	writeOwner          = 0x00080000
	genericAll          = 0x10000000
	genericWrite        = 0x40000000
)

// writeRight names one access right that counts as write.
type writeRight struct {
	bit           uint32
	name, dirName string
	fileToo       bool // whether it counts on a file, not only a directory
}

// writeRights are the rights that count as write, in the order a refusal
// names them.
var writeRights = []writeRight{
	{fileWriteData, "FILE_WRITE_DATA", "FILE_ADD_FILE", true},
	{fileAppendData, "FILE_APPEND_DATA", "FILE_ADD_SUBDIRECTORY", true},
	{fileWriteEA, "FILE_WRITE_EA", "FILE_WRITE_EA", true},
	{fileDeleteChild, "FILE_DELETE_CHILD", "FILE_DELETE_CHILD", false},
	{fileWriteAttributes, "FILE_WRITE_ATTRIBUTES", "FILE_WRITE_ATTRIBUTES", true},
	{accessDelete, "DELETE", "DELETE", true},
	{writeDAC, "WRITE_DAC", "WRITE_DAC", true},
	{writeOwner, "WRITE_OWNER", "WRITE_OWNER", true},
	{genericAll, "GENERIC_ALL", "GENERIC_ALL", true},
	{genericWrite, "GENERIC_WRITE", "GENERIC_WRITE", true},
}

// writeNames lists the rights in mask that count as write on an object of
// this kind, or nil when there are none.
func writeNames(mask uint32, dir bool) []string {
	var names []string
	for _, r := range writeRights {
		if mask&r.bit == 0 || !dir && !r.fileToo {
			continue
		}
		if dir {
			names = append(names, r.dirName)
		} else {
			names = append(names, r.name)
		}
	}
	return names
}

// aclDirVerdict says why a process running as the user with SID user must
// not trust a wrench directory with these facts, or "" when it may.
func aclDirVerdict(f aclFacts, user string) string {
	if f.kind != kindDirectory {
		return fmt.Sprintf("is %s, not a directory", f.kind)
	}
	return ownerACLVerdict(f, user, true)
}

// aclFileVerdict says why a process running as the user with SID user must
// not trust a category file with these facts, or "" when it may.
func aclFileVerdict(f aclFacts, user string) string {
	if f.kind != kindRegular {
		return fmt.Sprintf("is %s, not a regular file", f.kind)
	}
	if f.size > MaxFileSize {
		return fmt.Sprintf("is %d bytes, over the %d byte limit", f.size, MaxFileSize)
	}
	return ownerACLVerdict(f, user, false)
}

// trustedSID reports whether sid is a principal that may arm a wrench: the
// process's user, SYSTEM or Administrators, the Windows counterparts of
// the effective user and root.
func trustedSID(sid, user string) bool {
	return sid == sidSystem || sid == sidAdministrators || user != "" && sid == user
}

// ownerACLVerdict applies the rules shared by directories and files: a
// trusted owner, and no ACE that lets anyone else write. Deny ACEs are
// skipped: they never grant. Nor are they credited with taking back what
// an allow ACE grants, since whether one does depends on ACE order and on
// who is in which group; the rule is simply that no allow ACE grants write
// to anyone untrusted.
func ownerACLVerdict(f aclFacts, user string, dir bool) string {
	if f.owner == "" {
		return "has no owner in its security descriptor"
	}
	if !trustedSID(f.owner, user) {
		if user == "" {
			return fmt.Sprintf("is owned by %s, not by SYSTEM or Administrators (this process's user is unknown)",
				describeSID(f.owner))
		}
		return fmt.Sprintf("is owned by %s, not by this process's user (%s), SYSTEM or Administrators",
			describeSID(f.owner), user)
	}
	if f.nullDACL {
		return "has a NULL DACL, which lets everyone write it"
	}
	for _, e := range f.dacl {
		if !e.allow || e.inheritOnly || trustedSID(e.sid, user) || e.sid == sidOwnerRights {
			continue
		}
		names := writeNames(e.mask, dir)
		if len(names) == 0 {
			continue
		}
		how := "an explicit ACE"
		if e.inherited {
			how = "an inherited ACE"
		}
		return fmt.Sprintf("grants write (%s) to %s through %s",
			strings.Join(names, ", "), describeSID(e.sid), how)
	}
	return ""
}
