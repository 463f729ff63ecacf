package trust

import (
	"fmt"
	"strings"
)

// The Windows rules: a wrench directory or category file is trusted when
// its owner is the process's user, SYSTEM or Administrators, and no ACE lets
// anyone else write it. They are plain Go so that every platform tests
// them: a SID is its string form ("S-1-5-18") and the platform file reduces
// a security descriptor to ACLFacts.

// The SIDs the Windows rules trust besides the process's own user, the
// Windows counterparts of root.
const (
	SIDSystem         = "S-1-5-18"
	SIDAdministrators = "S-1-5-32-544"
	// SIDOwnerRights stands for the object's owner, whatever SID that is.
	// The owner must already be trusted, so its grants are too.
	SIDOwnerRights = "S-1-3-4"
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

// ACE is one access control entry of a DACL, reduced to what the rules
// look at.
type ACE struct {
	Allow     bool   // an access-allowed ACE; otherwise access-denied
	SID       string // the principal it applies to
	Mask      uint32 // the access it allows or denies
	Inherited bool   // inherited from the parent rather than set here
	// InheritOnly ACEs are templates for new children: they give nothing
	// on the object itself, and a child that inherits one is checked as
	// itself when it is read.
	InheritOnly bool
}

// ACLFacts is what the Windows rules look at: the facts one open handle
// gives about a directory or file.
type ACLFacts struct {
	Kind     Kind
	Size     int64
	Owner    string // the owner's SID; "" when the descriptor has none
	NullDACL bool   // no DACL at all, which lets everyone do everything
	DACL     []ACE
}

// Access rights that let a principal change what a wrench file says, or
// who may change it. They are the writing half of FILE_GENERIC_WRITE and
// FILE_ALL_ACCESS, and the generic rights that map onto them.
//
// FILE_WRITE_ATTRIBUTES counts because it sets timestamps: a touch is a
// new state of the file, which wakes paused calls to be evaluated afresh.
// FILE_WRITE_EA counts because Windows grants
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

// ACLDirVerdict is DirVerdict for Windows: it says why a process running
// as the user with SID user must not trust a wrench directory with these
// facts, or "" when it may. user is "" when the process's user is unknown;
// then only SYSTEM and Administrators are trusted.
func ACLDirVerdict(f ACLFacts, user string) string {
	if f.Kind != KindDirectory {
		return NotDirectory(f.Kind)
	}
	return ownerACLVerdict(f, user, true)
}

// ACLFileVerdict is FileVerdict for Windows: it says why a process running
// as the user with SID user must not trust a category file with these
// facts, or "" when it may.
func ACLFileVerdict(f ACLFacts, user string) string {
	if f.Kind != KindRegular {
		return NotRegular(f.Kind)
	}
	if f.Size > MaxFileSize {
		return TooBig(f.Size)
	}
	return ownerACLVerdict(f, user, false)
}

// trustedSID reports whether sid is a principal that may arm a wrench: the
// process's user, SYSTEM or Administrators, the Windows counterparts of
// the effective user and root.
func trustedSID(sid, user string) bool {
	return sid == SIDSystem || sid == SIDAdministrators || user != "" && sid == user
}

// ownerACLVerdict applies the rules shared by directories and files: a
// trusted owner, and no ACE that lets anyone else write. Deny ACEs are
// skipped: they never grant. Nor are they credited with taking back what
// an allow ACE grants, since whether one does depends on ACE order and on
// who is in which group; the rule is simply that no allow ACE grants write
// to anyone untrusted.
func ownerACLVerdict(f ACLFacts, user string, dir bool) string {
	if f.Owner == "" {
		return "has no owner in its security descriptor"
	}
	if !trustedSID(f.Owner, user) {
		if user == "" {
			return fmt.Sprintf("is owned by %s, not by SYSTEM or Administrators (this process's user is unknown)",
				describeSID(f.Owner))
		}
		return fmt.Sprintf("is owned by %s, not by this process's user (%s), SYSTEM or Administrators",
			describeSID(f.Owner), user)
	}
	if f.NullDACL {
		return "has a NULL DACL, which lets everyone write it"
	}
	for _, e := range f.DACL {
		if !e.Allow || e.InheritOnly || trustedSID(e.SID, user) || e.SID == SIDOwnerRights {
			continue
		}
		names := writeNames(e.Mask, dir)
		if len(names) == 0 {
			continue
		}
		how := "an explicit ACE"
		if e.Inherited {
			how = "an inherited ACE"
		}
		return fmt.Sprintf("grants write (%s) to %s through %s",
			strings.Join(names, ", "), describeSID(e.SID), how)
	}
	return ""
}

// Read-only and full access masks as Windows writes them into ACLs.
const (
	fileGenericRead    = 0x00120089 // FILE_GENERIC_READ
	fileGenericExecute = 0x001200a0 // FILE_GENERIC_EXECUTE
	fileAllAccess      = 0x001f01ff // FILE_ALL_ACCESS
)

// NewDirDACL is the DACL the writer gives a wrench directory it creates on
// Windows (store.NewDirSDDL, whose test holds the two equal):
// full control for SYSTEM, Administrators and the owner (OWNER RIGHTS),
// read and traverse for Users. It is here so that the rules' tests prove
// the writer's directories, and the files renamed into them, are trusted.
// Each call returns a fresh slice.
func NewDirDACL() []ACE {
	return []ACE{
		{Allow: true, SID: SIDSystem, Mask: fileAllAccess},
		{Allow: true, SID: SIDAdministrators, Mask: fileAllAccess},
		{Allow: true, SID: SIDOwnerRights, Mask: fileAllAccess},
		{Allow: true, SID: "S-1-5-32-545", Mask: fileGenericRead | fileGenericExecute},
	}
}
