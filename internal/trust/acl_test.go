package trust

import (
	"fmt"

	gc "gopkg.in/check.v1"
)

// aclSuite tests the Windows trust rules. They are plain Go, so they run on
// every platform.
type aclSuite struct{}

var _ = gc.Suite(&aclSuite{})

const (
	testUser  = "S-1-5-21-1111111111-2222222222-3333333333-1001"
	otherUser = "S-1-5-21-1111111111-2222222222-3333333333-1002"

	// Read-only masks as Windows writes them into ACLs, beyond those
	// acl.go names.
	readControl    = 0x00020000
	synchronize    = 0x00100000
	genericRead    = 0x80000000
	genericExecute = 0x20000000
)

// trustedFile is a category file as a careful administrator leaves it:
// owned by the user, full control for the user, SYSTEM and Administrators
// (inherited), read for Users.
func trustedFile() ACLFacts {
	return ACLFacts{
		Kind:  KindRegular,
		Size:  100,
		Owner: testUser,
		DACL: []ACE{
			{Allow: true, SID: SIDSystem, Mask: fileAllAccess, Inherited: true},
			{Allow: true, SID: SIDAdministrators, Mask: fileAllAccess, Inherited: true},
			{Allow: true, SID: testUser, Mask: fileAllAccess},
			{Allow: true, SID: "S-1-5-32-545", Mask: fileGenericRead, Inherited: true},
		},
	}
}

func trustedDir() ACLFacts {
	f := trustedFile()
	f.Kind = KindDirectory
	f.Size = 0
	return f
}

// withACE is facts with one more ACE at the end of the DACL.
func withACE(f ACLFacts, e ACE) ACLFacts {
	f.DACL = append(append([]ACE(nil), f.DACL...), e)
	return f
}

func (*aclSuite) TestTrustedShapesPass(c *gc.C) {
	c.Check(ACLFileVerdict(trustedFile(), testUser), gc.Equals, "")
	c.Check(ACLDirVerdict(trustedDir(), testUser), gc.Equals, "")
}

func (*aclSuite) TestOwners(c *gc.C) {
	for _, t := range []struct {
		owner, user string
		reason      string
	}{
		{testUser, testUser, ""},
		{SIDSystem, testUser, ""},
		{SIDAdministrators, testUser, ""},
		{SIDSystem, "", ""},
		{SIDAdministrators, "", ""},
		{otherUser, testUser, "is owned by " + otherUser + ", not by this process's user (" + testUser + "), SYSTEM or Administrators"},
		{"S-1-1-0", testUser, "is owned by Everyone (S-1-1-0), not by this process's user (" + testUser + "), SYSTEM or Administrators"},
		{"S-1-5-32-545", testUser, "is owned by Users (S-1-5-32-545), not by this process's user (" + testUser + "), SYSTEM or Administrators"},
		{"S-1-5-11", testUser, "is owned by Authenticated Users (S-1-5-11), not by this process's user (" + testUser + "), SYSTEM or Administrators"},
		{"S-1-5-7", testUser, "is owned by ANONYMOUS LOGON (S-1-5-7), not by this process's user (" + testUser + "), SYSTEM or Administrators"},
		{SIDOwnerRights, testUser, "is owned by OWNER RIGHTS (S-1-3-4), not by this process's user (" + testUser + "), SYSTEM or Administrators"},
		{testUser, "", "is owned by " + testUser + ", not by SYSTEM or Administrators (this process's user is unknown)"},
		{"", testUser, "has no owner in its security descriptor"},
		{"", "", "has no owner in its security descriptor"},
	} {
		comment := gc.Commentf("owner %q, user %q", t.owner, t.user)
		// Only the owner varies: the DACL grants write to SYSTEM and
		// Administrators alone, so it passes whoever the user is.
		f, d := trustedFile(), trustedDir()
		f.Owner, d.Owner = t.owner, t.owner
		f.DACL, d.DACL = f.DACL[:2], d.DACL[:2]
		c.Check(ACLFileVerdict(f, t.user), gc.Equals, t.reason, comment)
		c.Check(ACLDirVerdict(d, t.user), gc.Equals, t.reason, comment)
	}
}

func (*aclSuite) TestPrincipals(c *gc.C) {
	for _, t := range []struct {
		sid     string
		trusted bool
		named   string
	}{
		{testUser, true, ""},
		{SIDSystem, true, ""},
		{SIDAdministrators, true, ""},
		{SIDOwnerRights, true, ""},
		{"S-1-1-0", false, "Everyone (S-1-1-0)"},
		{"S-1-5-32-545", false, "Users (S-1-5-32-545)"},
		{"S-1-5-11", false, "Authenticated Users (S-1-5-11)"},
		{"S-1-5-4", false, "INTERACTIVE (S-1-5-4)"},
		{"S-1-5-32-546", false, "Guests (S-1-5-32-546)"},
		{"S-1-5-7", false, "ANONYMOUS LOGON (S-1-5-7)"},
		{"S-1-5-19", false, "LOCAL SERVICE (S-1-5-19)"},
		{"S-1-15-2-1", false, "ALL APPLICATION PACKAGES (S-1-15-2-1)"},
		// An effective CREATOR OWNER ACE matches no token; it is refused
		// rather than reasoned about.
		{"S-1-3-0", false, "CREATOR OWNER (S-1-3-0)"},
		{otherUser, false, otherUser},
	} {
		for _, dir := range []bool{false, true} {
			comment := gc.Commentf("sid %s, directory %v", t.sid, dir)
			e := ACE{Allow: true, SID: t.sid, Mask: fileWriteData}
			var reason string
			if dir {
				reason = ACLDirVerdict(withACE(trustedDir(), e), testUser)
			} else {
				reason = ACLFileVerdict(withACE(trustedFile(), e), testUser)
			}
			if t.trusted {
				c.Check(reason, gc.Equals, "", comment)
				continue
			}
			right := "FILE_WRITE_DATA"
			if dir {
				right = "FILE_ADD_FILE"
			}
			c.Check(reason, gc.Equals, fmt.Sprintf("grants write (%s) to %s through an explicit ACE", right, t.named), comment)
		}
	}
}

func (*aclSuite) TestUnknownUserTrustsOnlySystemAndAdministrators(c *gc.C) {
	f := trustedFile()
	f.Owner = SIDSystem
	c.Check(ACLFileVerdict(f, ""), gc.Equals,
		"grants write (FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC, WRITE_OWNER) to "+testUser+" through an explicit ACE")
}

func (*aclSuite) TestAccessRights(c *gc.C) {
	for _, t := range []struct {
		mask      uint32
		file, dir string // the rights named, "" when trusted
	}{
		{fileWriteData, "FILE_WRITE_DATA", "FILE_ADD_FILE"},
		{fileAppendData, "FILE_APPEND_DATA", "FILE_ADD_SUBDIRECTORY"},
		{fileWriteEA, "FILE_WRITE_EA", "FILE_WRITE_EA"},
		{fileWriteAttributes, "FILE_WRITE_ATTRIBUTES", "FILE_WRITE_ATTRIBUTES"},
		{accessDelete, "DELETE", "DELETE"},
		{writeDAC, "WRITE_DAC", "WRITE_DAC"},
		{writeOwner, "WRITE_OWNER", "WRITE_OWNER"},
		{genericWrite, "GENERIC_WRITE", "GENERIC_WRITE"},
		{genericAll, "GENERIC_ALL", "GENERIC_ALL"},
		// Deleting children is replacing category files; a file has none.
		{fileDeleteChild, "", "FILE_DELETE_CHILD"},
		{fileAllAccess,
			"FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC, WRITE_OWNER",
			"FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY, FILE_WRITE_EA, FILE_DELETE_CHILD, FILE_WRITE_ATTRIBUTES, DELETE, WRITE_DAC, WRITE_OWNER"},
		{0x001301bf, // "Modify"
			"FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, FILE_WRITE_ATTRIBUTES, DELETE",
			"FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY, FILE_WRITE_EA, FILE_WRITE_ATTRIBUTES, DELETE"},
		{fileGenericRead, "", ""},
		{fileGenericExecute, "", ""},
		{readControl, "", ""},
		{synchronize, "", ""},
		{genericRead, "", ""},
		{genericExecute, "", ""},
		{genericRead | genericExecute | synchronize, "", ""},
	} {
		comment := gc.Commentf("mask %#08x", t.mask)
		e := ACE{Allow: true, SID: "S-1-1-0", Mask: t.mask}
		c.Check(ACLFileVerdict(withACE(trustedFile(), e), testUser), gc.Equals, grantReason(t.file, "Everyone (S-1-1-0)", false), comment)
		c.Check(ACLDirVerdict(withACE(trustedDir(), e), testUser), gc.Equals, grantReason(t.dir, "Everyone (S-1-1-0)", false), comment)
	}
}

// grantReason is the refusal for an ACE granting rights to who, or "" when
// rights is empty.
func grantReason(rights, who string, inherited bool) string {
	if rights == "" {
		return ""
	}
	how := "an explicit ACE"
	if inherited {
		how = "an inherited ACE"
	}
	return fmt.Sprintf("grants write (%s) to %s through %s", rights, who, how)
}

func (*aclSuite) TestInheritedAndExplicitACEs(c *gc.C) {
	for _, inherited := range []bool{false, true} {
		e := ACE{Allow: true, SID: "S-1-1-0", Mask: genericWrite, Inherited: inherited}
		c.Check(ACLFileVerdict(withACE(trustedFile(), e), testUser), gc.Equals,
			grantReason("GENERIC_WRITE", "Everyone (S-1-1-0)", inherited))
		e = ACE{Allow: true, SID: "S-1-5-32-545", Mask: fileWriteData | fileAppendData, Inherited: inherited}
		c.Check(ACLDirVerdict(withACE(trustedDir(), e), testUser), gc.Equals,
			grantReason("FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY", "Users (S-1-5-32-545)", inherited))
	}
	c.Check(ACLFileVerdict(withACE(trustedFile(), ACE{Allow: true, SID: "S-1-1-0", Mask: genericWrite, Inherited: true}), testUser),
		gc.Equals, "grants write (GENERIC_WRITE) to Everyone (S-1-1-0) through an inherited ACE")
}

func (*aclSuite) TestInheritOnlyACEsGrantNothingHere(c *gc.C) {
	// The CREATOR OWNER template every directory under C:\ProgramData
	// carries, and a careless one for Users: both apply to children only.
	for _, e := range []ACE{
		{Allow: true, SID: "S-1-3-0", Mask: genericAll, Inherited: true, InheritOnly: true},
		{Allow: true, SID: "S-1-5-32-545", Mask: genericWrite, InheritOnly: true},
	} {
		c.Check(ACLDirVerdict(withACE(trustedDir(), e), testUser), gc.Equals, "", gc.Commentf("%+v", e))
		c.Check(ACLFileVerdict(withACE(trustedFile(), e), testUser), gc.Equals, "", gc.Commentf("%+v", e))
		// The same ACE without the flag applies to the object itself.
		e.InheritOnly = false
		c.Check(ACLDirVerdict(withACE(trustedDir(), e), testUser), gc.Matches, "grants write .*", gc.Commentf("%+v", e))
	}
}

func (*aclSuite) TestDenyACEsDoNotGrant(c *gc.C) {
	deny := ACE{Allow: false, SID: "S-1-1-0", Mask: fileAllAccess | genericAll | genericWrite}
	c.Check(ACLFileVerdict(withACE(trustedFile(), deny), testUser), gc.Equals, "")
	c.Check(ACLDirVerdict(withACE(trustedDir(), deny), testUser), gc.Equals, "")
	deny.Inherited = true
	c.Check(ACLFileVerdict(withACE(trustedFile(), deny), testUser), gc.Equals, "")

	// A deny ahead of an allow is not credited with taking it back.
	f := trustedFile()
	f.DACL = append([]ACE{{Allow: false, SID: "S-1-5-32-545", Mask: genericWrite}}, f.DACL...)
	f = withACE(f, ACE{Allow: true, SID: "S-1-5-32-545", Mask: genericWrite})
	c.Check(ACLFileVerdict(f, testUser), gc.Equals, "grants write (GENERIC_WRITE) to Users (S-1-5-32-545) through an explicit ACE")
}

func (*aclSuite) TestNullAndEmptyDACLs(c *gc.C) {
	f, d := trustedFile(), trustedDir()
	f.NullDACL, f.DACL = true, nil
	d.NullDACL, d.DACL = true, nil
	c.Check(ACLFileVerdict(f, testUser), gc.Equals, "has a NULL DACL, which lets everyone write it")
	c.Check(ACLDirVerdict(d, testUser), gc.Equals, "has a NULL DACL, which lets everyone write it")

	// An empty DACL grants nothing to anyone; the owner keeps its implicit
	// rights, and the owner is trusted.
	f.NullDACL, d.NullDACL = false, false
	c.Check(ACLFileVerdict(f, testUser), gc.Equals, "")
	c.Check(ACLDirVerdict(d, testUser), gc.Equals, "")

	// The owner is judged before the DACL.
	f.Owner, f.NullDACL = "S-1-1-0", true
	c.Check(ACLFileVerdict(f, testUser), gc.Matches, "is owned by Everyone .*")
}

func (*aclSuite) TestFirstWritableACEIsNamed(c *gc.C) {
	f := trustedFile()
	f = withACE(f, ACE{Allow: true, SID: "S-1-5-11", Mask: fileGenericRead})
	f = withACE(f, ACE{Allow: true, SID: "S-1-5-32-545", Mask: fileAppendData, Inherited: true})
	f = withACE(f, ACE{Allow: true, SID: "S-1-1-0", Mask: genericAll})
	c.Check(ACLFileVerdict(f, testUser), gc.Equals, "grants write (FILE_APPEND_DATA) to Users (S-1-5-32-545) through an inherited ACE")
}

func (*aclSuite) TestKinds(c *gc.C) {
	for _, t := range []struct {
		kind      Kind
		file, dir string
	}{
		{KindRegular, "", "is a regular file, not a directory"},
		{KindDirectory, "is a directory, not a regular file", ""},
		{KindReparsePoint, "is a reparse point (a symbolic link or junction), not a regular file",
			"is a reparse point (a symbolic link or junction), not a directory"},
		{KindFIFO, "is a named pipe (FIFO), not a regular file", "is a named pipe (FIFO), not a directory"},
		{KindDevice, "is a device, not a regular file", "is a device, not a directory"},
	} {
		f := trustedFile()
		f.Kind = t.kind
		c.Check(ACLFileVerdict(f, testUser), gc.Equals, t.file, gc.Commentf("%v", t.kind))
		c.Check(ACLDirVerdict(f, testUser), gc.Equals, t.dir, gc.Commentf("%v", t.kind))
	}
}

func (*aclSuite) TestFileSize(c *gc.C) {
	f := trustedFile()
	f.Size = MaxFileSize
	c.Check(ACLFileVerdict(f, testUser), gc.Equals, "")
	f.Size = MaxFileSize + 1
	c.Check(ACLFileVerdict(f, testUser), gc.Equals, "is 65537 bytes, over the 65536 byte limit")
	// A directory's size is no concern.
	d := trustedDir()
	d.Size = 10 * MaxFileSize
	c.Check(ACLDirVerdict(d, testUser), gc.Equals, "")
}

// inheritedCopies is dacl as a file made beneath a directory carrying it
// inherits it.
func inheritedCopies(dacl []ACE) []ACE {
	copies := make([]ACE, len(dacl))
	for i, e := range dacl {
		e.Inherited = true
		copies[i] = e
	}
	return copies
}

func (*aclSuite) TestDirectoryTheWriterCreatesIsTrusted(c *gc.C) {
	// Its owner is whoever made it: the process's user, or Administrators
	// when an elevated administrator did.
	for _, owner := range []string{testUser, SIDAdministrators} {
		comment := gc.Commentf("owner %s", owner)
		dir := ACLFacts{Kind: KindDirectory, Owner: owner, DACL: NewDirDACL()}
		c.Check(ACLDirVerdict(dir, testUser), gc.Equals, "", comment)
		// The temporary files the writer renames into place inherit it.
		file := ACLFacts{Kind: KindRegular, Size: 100, Owner: owner, DACL: inheritedCopies(NewDirDACL())}
		c.Check(ACLFileVerdict(file, testUser), gc.Equals, "", comment)
	}
}

func (*aclSuite) TestDirectoryInheritingFromProgramDataIsRefused(c *gc.C) {
	// Why the writer protects the DACL it sets: without that, a directory
	// made in C:\ProgramData also inherits its grant to Users of
	// (CI)(WD,AD,WEA,WA), and is refused.
	dir := ACLFacts{Kind: KindDirectory, Owner: testUser, DACL: append(NewDirDACL(),
		ACE{Allow: true, SID: "S-1-5-32-545", Mask: fileWriteData | fileAppendData | fileWriteEA | fileWriteAttributes, Inherited: true})}
	c.Check(ACLDirVerdict(dir, testUser), gc.Equals, "grants write (FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY, FILE_WRITE_EA, "+
		"FILE_WRITE_ATTRIBUTES) to Users (S-1-5-32-545) through an inherited ACE")
}
