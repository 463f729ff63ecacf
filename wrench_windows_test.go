//go:build windows

package wrench_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/juju/loggo/v2"
	"golang.org/x/sys/windows"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// windowsSuite tests the Windows trust checks on real files. It runs on
// Windows and under wine; where wine cannot set up a case (it keeps only
// the parts of an ACL that map onto unix mode bits) the test says so and
// skips rather than pass without checking.
type windowsSuite struct {
	baseSuite
}

var (
	_ = gc.Suite(&windowsSuite{baseSuite{exact: true}})
	_ = gc.Suite(&windowsSuite{baseSuite{exact: false}})
)

const (
	sidEveryone = "S-1-1-0"
	sidUsers    = "S-1-5-32-545"
)

// grant adds an ACE allowing mask to sid on path, and returns a function
// putting the DACL back as it was. kept says whether the DACL read back
// afterwards lets sid write, which it did not before: wine drops what unix
// modes cannot express.
func grant(c *gc.C, path, sid string, mask windows.ACCESS_MASK) (restore func(), kept bool) {
	c.Assert(grantedTo(c, path, sid)&writeBits, gc.Equals, uint32(0), gc.Commentf("%s may write %s already", sid, path))
	old := daclOf(c, path)
	trustee, err := windows.StringToSid(sid)
	c.Assert(err, gc.IsNil)
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: mask,
		AccessMode:        windows.GRANT_ACCESS,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
			TrusteeValue: windows.TrusteeValueFromSID(trustee),
		},
	}}, old)
	c.Assert(err, gc.IsNil)
	setDACL(c, path, acl)
	return func() { setDACL(c, path, old) }, grantedTo(c, path, sid)&writeBits != 0
}

// fileAddFile is FILE_WRITE_DATA by its directory name.
const fileAddFile = windows.FILE_WRITE_DATA

// writeBits are the rights whose presence shows a grant of write stuck.
const writeBits = windows.FILE_WRITE_DATA | windows.FILE_APPEND_DATA | windows.GENERIC_WRITE | windows.GENERIC_ALL

// daclOf reads path's DACL.
func daclOf(c *gc.C, path string) *windows.ACL {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	c.Assert(err, gc.IsNil)
	dacl, _, err := sd.DACL()
	c.Assert(err, gc.IsNil)
	return dacl
}

// setDACL sets path's DACL, and makes the change visible to the next call
// in watched mode, which hears of no ACL change (Sync does nothing in
// exact mode).
func setDACL(c *gc.C, path string, acl *windows.ACL) {
	err := windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
	c.Assert(err, gc.IsNil)
	wrench.Sync()
}

// grantedTo is everything path's DACL allows sid, as read back.
func grantedTo(c *gc.C, path, sid string) uint32 {
	dacl := daclOf(c, path)
	var mask uint32
	for i := uint32(0); dacl != nil && i < uint32(dacl.AceCount); i++ {
		var e *windows.ACCESS_ALLOWED_ACE
		c.Assert(windows.GetAce(dacl, i, &e), gc.IsNil)
		if e.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE && (*windows.SID)(unsafe.Pointer(&e.SidStart)).String() == sid {
			mask |= uint32(e.Mask)
		}
	}
	return mask
}

// errors logged at ERROR that contain all of texts.
func (s *windowsSuite) errorsLogged(texts ...string) []string {
	var found []string
	for _, m := range s.logged(loggo.ERROR, "") {
		all := true
		for _, t := range texts {
			all = all && strings.Contains(m, t)
		}
		if all {
			found = append(found, m)
		}
	}
	return found
}

func (s *windowsSuite) TestTrustedFileIsHonoured(c *gc.C) {
	s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "other"), gc.Equals, false)
	c.Check(wrench.IsActive("missing", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	reason, err := wrench.TrustVerdict(filepath.Join(s.dir, "agent"), false)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Equals, "")
	reason, err = wrench.TrustVerdict(s.dir, true)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Equals, "")
}

func (s *windowsSuite) TestFileWritableByEveryoneIsRefusedOnce(c *gc.C) {
	s.writeFile(c, "control", "refuse-upgrade\n")
	path := s.writeFile(c, "agent", "refuse-upgrade\n")
	_, kept := grant(c, path, sidEveryone, windows.GENERIC_WRITE)
	c.Assert(kept, gc.Equals, true, gc.Commentf("the Everyone grant did not stick on %s", path))

	for i := 0; i < 3; i++ {
		c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
		c.Check(wrench.IsActive("control", "refuse-upgrade"), gc.Equals, true)
	}
	refusals := s.errorsLogged("refusing "+path+": ", "grants write (", "to Everyone (S-1-1-0) through an explicit ACE")
	c.Check(refusals, gc.HasLen, 1)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 1)

	reason, err := wrench.TrustVerdict(path, false)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Matches, `grants write \(.*\) to Everyone \(S-1-1-0\) through an explicit ACE`)
}

func (s *windowsSuite) TestFileWritableByUsersIsRefusedOnce(c *gc.C) {
	s.writeFile(c, "control", "refuse-upgrade\n")
	path := s.writeFile(c, "agent", "refuse-upgrade\n")
	if _, kept := grant(c, path, sidUsers, windows.FILE_WRITE_DATA|windows.FILE_APPEND_DATA); !kept {
		c.Skip("this Windows did not keep an ACE for Users (wine keeps only what unix modes express); internal/trust/acl_test.go covers the rule")
	}
	for i := 0; i < 3; i++ {
		c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
		c.Check(wrench.IsActive("control", "refuse-upgrade"), gc.Equals, true)
	}
	c.Check(s.errorsLogged("refusing "+path+": ", "to Users (S-1-5-32-545)"), gc.HasLen, 1)
}

func (s *windowsSuite) TestDirectoryWritableByEveryoneIsRefusedOnce(c *gc.C) {
	s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true) // the control: trusted before
	_, kept := grant(c, s.dir, sidEveryone, windows.GENERIC_WRITE)
	c.Assert(kept, gc.Equals, true, gc.Commentf("the Everyone grant did not stick on %s", s.dir))

	for i := 0; i < 3; i++ {
		c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
		c.Check(wrench.IsActive("other", "refuse-upgrade"), gc.Equals, false)
	}
	c.Check(s.errorsLogged("refusing wrench directory "+s.dir+": ", "grants write (", "to Everyone (S-1-1-0) through an explicit ACE"), gc.HasLen, 1)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 1)

	reason, err := wrench.TrustVerdict(s.dir, true)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Matches, `grants write \(FILE_ADD_FILE, .*\) to Everyone \(S-1-1-0\) through an explicit ACE`)
}

func (s *windowsSuite) TestDirectoryWritableByUsersIsRefused(c *gc.C) {
	s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	if _, kept := grant(c, s.dir, sidUsers, windows.FILE_WRITE_DATA); !kept {
		c.Skip("this Windows did not keep an ACE for Users (wine keeps only what unix modes express); internal/trust/acl_test.go covers the rule")
	}
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.errorsLogged("refusing wrench directory "+s.dir+": ", "to Users (S-1-5-32-545)"), gc.HasLen, 1)
}

func (s *windowsSuite) TestFileACLChangeBetweenCallsChangesTheAnswer(c *gc.C) {
	path := s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	restore, kept := grant(c, path, sidEveryone, windows.FILE_WRITE_DATA)
	c.Assert(kept, gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	restore()
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	// Refused again: a new episode, logged again.
	_, kept = grant(c, path, sidEveryone, windows.FILE_WRITE_DATA)
	c.Assert(kept, gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.errorsLogged("refusing "+path+": "), gc.HasLen, 2)
}

func (s *windowsSuite) TestDirectoryACLChangeBetweenCallsChangesTheAnswer(c *gc.C) {
	s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	restore, kept := grant(c, s.dir, sidEveryone, windows.FILE_WRITE_DATA)
	c.Assert(kept, gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	restore()
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	_, kept = grant(c, s.dir, sidEveryone, windows.FILE_WRITE_DATA)
	c.Assert(kept, gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.errorsLogged("refusing wrench directory "+s.dir+": "), gc.HasLen, 2)
}

func (s *windowsSuite) TestOwnerOutsideTheTrustedIsRefused(c *gc.C) {
	path := s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	users, err := windows.StringToSid(sidUsers)
	c.Assert(err, gc.IsNil)
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION, users, nil, nil, nil)
	s.settle()
	if err != nil || ownerOf(c, path) != sidUsers {
		c.Skip("cannot make Users the owner here (it takes SeRestorePrivilege on Windows; wine ignores owners)")
	}
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.errorsLogged("refusing "+path+": is owned by Users (S-1-5-32-545), not by this process's user"), gc.HasLen, 1)
}

func ownerOf(c *gc.C, path string) string {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	c.Assert(err, gc.IsNil)
	owner, _, err := sd.Owner()
	c.Assert(err, gc.IsNil)
	return owner.String()
}

func (s *windowsSuite) TestOwnerIsTheProcessUser(c *gc.C) {
	path := s.writeFile(c, "agent", "refuse-upgrade\n")
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	c.Assert(err, gc.IsNil)
	owner := ownerOf(c, path)
	// A file made by an elevated administrator belongs to Administrators.
	c.Check(owner == user.User.Sid.String() || owner == "S-1-5-32-544", gc.Equals, true, gc.Commentf("owner %s", owner))
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
}

func (s *windowsSuite) TestCategoryThatIsADirectoryIsRefusedOnce(c *gc.C) {
	s.writeFile(c, "control", "refuse-upgrade\n")
	path := filepath.Join(s.dir, "agent")
	c.Assert(os.Mkdir(path, 0o755), gc.IsNil)
	s.settle()
	for i := 0; i < 2; i++ {
		c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
		c.Check(wrench.IsActive("control", "refuse-upgrade"), gc.Equals, true)
	}
	c.Check(s.errorsLogged("refusing "+path+": is a directory, not a regular file"), gc.HasLen, 1)
	reason, err := wrench.TrustVerdict(path, false)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Equals, "is a directory, not a regular file")
}

// removeWrenchDir removes the test's wrench directory, empty but for the
// directory of live states the base suite makes, one by one: under wine 8
// os.RemoveAll fails.
func (s *windowsSuite) removeWrenchDir(c *gc.C) {
	c.Assert(os.Remove(filepath.Join(s.dir, wrench.LiveDirName())), gc.IsNil)
	c.Assert(os.Remove(s.dir), gc.IsNil)
	s.settle()
}

func (s *windowsSuite) TestWrenchDirectoryThatIsAFileIsRefusedOnce(c *gc.C) {
	s.removeWrenchDir(c)
	c.Assert(os.WriteFile(s.dir, []byte("refuse-upgrade\n"), 0o644), gc.IsNil)
	s.settle()
	for i := 0; i < 2; i++ {
		c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	}
	c.Check(s.errorsLogged("refusing wrench directory "+s.dir+": is a regular file, not a directory"), gc.HasLen, 1)
	reason, err := wrench.TrustVerdict(s.dir, true)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Equals, "is a regular file, not a directory")
}

func (s *windowsSuite) TestNoDirectoryIsQuiet(c *gc.C) {
	s.removeWrenchDir(c)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
	c.Check(s.logged(loggo.TRACE, "no wrench directory "+s.dir), gc.HasLen, 1)
	_, err := wrench.TrustVerdict(s.dir, true)
	c.Check(errors.Is(err, fs.ErrNotExist), gc.Equals, true, gc.Commentf("%v", err))
}

func (s *windowsSuite) TestOversizeFileIsRefused(c *gc.C) {
	s.writeFile(c, "small", "refuse-upgrade\n"+strings.Repeat("#", wrench.MaxFileSize-len("refuse-upgrade\n")))
	path := s.writeFile(c, "big", "refuse-upgrade\n"+strings.Repeat("#", wrench.MaxFileSize))
	c.Check(wrench.IsActive("small", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("big", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.errorsLogged("refusing "+path+": is 65551 bytes, over the 65536 byte limit"), gc.HasLen, 1)
}

func (s *windowsSuite) TestEveryCallSeesTheDisk(c *gc.C) {
	path := s.writeFile(c, "agent", "refuse-upgrade 1*on->off\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	// Unchanged: not read again, so the count is spent.
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.logged(loggo.INFO, "agent:refuse-upgrade: on fired"), gc.HasLen, 1)

	// A touch is a new state, read again, but the rule's line is
	// unchanged, so its count carries over: still spent.
	reloads := wrench.Reloads()
	later := time.Now().Add(time.Hour)
	c.Assert(os.Chtimes(path, later, later), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(wrench.Reloads(), gc.Equals, reloads+1)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)

	// Replaced by rename.
	s.writeFile(c, "agent", "slow-dial\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(wrench.IsActive("agent", "slow-dial"), gc.Equals, true)

	// Renamed away, and back.
	c.Assert(os.Rename(path, path+".away"), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "slow-dial"), gc.Equals, false)
	c.Assert(os.Rename(path+".away", path), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "slow-dial"), gc.Equals, true)

	// Removed.
	c.Assert(os.Remove(path), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "slow-dial"), gc.Equals, false)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
}

func (s *windowsSuite) TestWrenchDirectoryRenamedAway(c *gc.C) {
	s.writeFile(c, "agent", "refuse-upgrade\n")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	c.Assert(os.Rename(s.dir, s.dir+".away"), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Assert(os.Mkdir(s.dir, 0o755), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	s.writeFile(c, "agent", "slow-dial\n")
	c.Check(wrench.IsActive("agent", "slow-dial"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
}

func (s *windowsSuite) TestDeviceNamesAreFilesNotDevices(c *gc.C) {
	// Beneath the wrench directory, NUL, CON and COM1 name files: opening
	// them never reaches a device, and there is no such file here.
	for _, name := range []string{"NUL", "CON", "COM1", "aux", "LPT1"} {
		c.Check(wrench.IsActive(name, "refuse-upgrade"), gc.Equals, false, gc.Commentf(name))
	}
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)

	// A file really named COM1 (made through a \\?\ path) is read.
	c.Assert(os.WriteFile(`\\?\`+filepath.Join(s.dir, "COM1"), []byte("refuse-upgrade\n"), 0o644), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("COM1", "refuse-upgrade"), gc.Equals, true)
}

// TestCheckAndListLookAsIsActiveDoes proves Check and List open a
// category file beneath the verified directory's handle, as
// IsActive does, not by its path: a file really named COM1 is that file
// to all of them, never the device the Win32 name rules make of the path.
func (s *windowsSuite) TestCheckAndListLookAsIsActiveDoes(c *gc.C) {
	c.Assert(os.WriteFile(`\\?\`+filepath.Join(s.dir, "COM1"), []byte("refuse-upgrade\n"), 0o644), gc.IsNil)
	s.settle()
	c.Assert(wrench.IsActive("COM1", "refuse-upgrade"), gc.Equals, true)

	r, err := wrench.Check("COM1")
	c.Assert(err, gc.IsNil)
	c.Check(r.Directory.Problem, gc.Equals, "")
	c.Assert(r.Files, gc.HasLen, 1)
	c.Check(r.Files[0].Exists, gc.Equals, true)
	c.Check(r.Files[0].Problem, gc.Equals, "")
	c.Assert(r.Files[0].Lines, gc.HasLen, 1)
	c.Check(r.Files[0].Lines[0].Honoured, gc.Equals, true)

	files, err := wrench.List("COM1")
	c.Assert(err, gc.IsNil)
	c.Assert(files, gc.HasLen, 1)
	c.Check(files[0].Unreadable, gc.Equals, "")
	c.Check(files[0].Rules, gc.DeepEquals, []wrench.Rule{{Feature: "refuse-upgrade", Trigger: "on", Line: 1}})

}

func (s *windowsSuite) TestTrustVerdictRefusesDevicePaths(c *gc.C) {
	for _, path := range []string{`\\.\NUL`, `\\.\pipe\wrench`, `//./COM1`, `\\?\GLOBALROOT\Device\Null`, `\??\C:\x`} {
		reason, err := wrench.TrustVerdict(path, false)
		c.Check(err, gc.IsNil, gc.Commentf(path))
		c.Check(reason, gc.Equals, path+" is a device path, not a path to a file on a volume")
	}
	// Beneath a directory a device name is a file name, as IsActive reads it.
	_, err := wrench.TrustVerdict(filepath.Join(s.dir, "NUL"), false)
	c.Check(errors.Is(err, fs.ErrNotExist), gc.Equals, true, gc.Commentf("%v", err))
}

func (s *windowsSuite) TestExtendedPath(c *gc.C) {
	for _, t := range []struct{ in, out, problem string }{
		{`C:\ProgramData\wrench`, `\\?\C:\ProgramData\wrench`, ""},
		{`C:/ProgramData/x/../wrench`, `\\?\C:\ProgramData\wrench`, ""},
		{`C:\x\NUL`, `\\?\C:\x\NUL`, ""},
		{`C:\x\dot.`, `\\?\C:\x\dot.`, ""},
		{`\\server\share\wrench`, `\\?\UNC\server\share\wrench`, ""},
		{`\\?\C:\x`, `\\?\C:\x`, ""},
		{`\\?\UNC\server\share`, `\\?\UNC\server\share`, ""},
		{`\\.\pipe\x`, "", `\\.\pipe\x is a device path, not a path to a file on a volume`},
		{`\\?\Volume{0}\x`, "", `\\?\Volume{0}\x is a device path, not a path to a file on a volume`},
	} {
		out, problem := wrench.ExtendedPath(t.in)
		c.Check(out, gc.Equals, t.out, gc.Commentf(t.in))
		c.Check(problem, gc.Equals, t.problem, gc.Commentf(t.in))
	}
	// A relative path is made absolute first.
	out, problem := wrench.ExtendedPath("rel")
	c.Check(problem, gc.Equals, "")
	c.Check(strings.HasPrefix(out, `\\?\`) && strings.HasSuffix(out, `\rel`), gc.Equals, true, gc.Commentf(out))
}

func (s *windowsSuite) TestReparsePointIsRefused(c *gc.C) {
	target := s.writeFile(c, "target", "refuse-upgrade\n")
	link := filepath.Join(s.dir, "agent")
	err := os.Symlink(target, link)
	if _, lerr := os.Lstat(link); err != nil || lerr != nil {
		c.Skip("cannot make a symbolic link here (it takes Developer Mode or elevation on Windows; wine 8 makes none)")
	}
	c.Check(wrench.IsActive("target", "refuse-upgrade"), gc.Equals, true)
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	c.Check(s.errorsLogged("refusing "+link+": is a reparse point (a symbolic link or junction), not a regular file"), gc.HasLen, 1)
}

func (s *windowsSuite) TestDefaultDataDirIsProgramData(c *gc.C) {
	programData := os.Getenv("ProgramData")
	c.Assert(programData, gc.Not(gc.Equals), "")
	c.Check(wrench.DefaultDataDir(), gc.Equals, programData)

	// A service may start with a bare environment: the system's own
	// ProgramData folder is used then.
	known, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, windows.KF_FLAG_DEFAULT)
	c.Assert(err, gc.IsNil)
	c.Assert(os.Setenv("ProgramData", ""), gc.IsNil)
	defer os.Setenv("ProgramData", programData)
	c.Check(wrench.DefaultDataDir(), gc.Equals, known)
}

func (s *windowsSuite) TestSetCreatesATrustedDirectory(c *gc.C) {
	s.noWrenchDir(c)
	c.Assert(wrench.Set("agent", "refuse-upgrade", ""), gc.IsNil)
	reason, err := wrench.TrustVerdict(s.dir, true)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Equals, "")
	reason, err = wrench.TrustVerdict(filepath.Join(s.dir, "agent"), false)
	c.Check(err, gc.IsNil)
	c.Check(reason, gc.Equals, "")
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)

	// The directory is there now: a second write goes into it as it is.
	c.Assert(wrench.Set("agent", "slow-dial", ""), gc.IsNil)
	c.Check(wrench.IsActive("agent", "slow-dial"), gc.Equals, true)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
}

func (s *windowsSuite) TestSetCreatesADirectoryWithAProtectedDACL(c *gc.C) {
	s.noWrenchDir(c)
	c.Assert(wrench.Set("agent", "refuse-upgrade", ""), gc.IsNil)
	sd, err := windows.SecurityDescriptorFromString(wrench.NewDirSDDL)
	c.Assert(err, gc.IsNil)
	_, want := daclEntries(c, sd)
	protected, got := daclEntries(c, securityOf(c, s.dir))
	_, gotFile := daclEntries(c, securityOf(c, filepath.Join(s.dir, "agent")))

	if keepsUsersACE(c) {
		c.Check(protected, gc.Equals, true, gc.Commentf("the DACL of %s inherits from the data directory", s.dir))
		c.Check(got, gc.DeepEquals, want)
		// The category file, made as a temporary file and renamed, has
		// the same entries, inherited.
		var wantFile []string
		for _, e := range want {
			wantFile = append(wantFile, strings.Replace(e, "flags 0x3", "flags 0x10", 1))
		}
		c.Check(gotFile, gc.DeepEquals, wantFile)
		return
	}
	// Wine maps the DACL onto unix mode bits and reads back what those
	// say: SYSTEM's entry, the owner's (what the grants to Administrators
	// and OWNER RIGHTS became) and nothing for anyone else.
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	c.Assert(err, gc.IsNil)
	c.Assert(got, gc.DeepEquals, []string{
		"S-1-5-18 allowed 0x1f01ff, flags 0x3",
		user.User.Sid.String() + " allowed 0x1f01ff, flags 0x3",
	})
	c.Skip("this Windows keeps only what unix modes express (wine): the protected flag, the entries for " +
		"Administrators, OWNER RIGHTS and Users and inheritance by files are not kept; " +
		"TestNewDirSDDLIsNewDirDACL and internal/trust/acl_test.go check them")
}

// keepsUsersACE reports whether this system keeps an ACE for Users on a
// directory, which Windows does and wine does not.
func keepsUsersACE(c *gc.C) bool {
	probe := filepath.Join(tempDir(c), "probe")
	c.Assert(os.Mkdir(probe, 0o755), gc.IsNil)
	_, kept := grant(c, probe, sidUsers, fileAddFile)
	return kept
}

func securityOf(c *gc.C, path string) *windows.SECURITY_DESCRIPTOR {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	c.Assert(err, gc.IsNil)
	return sd
}

// daclEntries describes the ACEs of sd's DACL, in order, and says whether
// the DACL is protected from inheritance.
func daclEntries(c *gc.C, sd *windows.SECURITY_DESCRIPTOR) (protected bool, entries []string) {
	control, _, err := sd.Control()
	c.Assert(err, gc.IsNil)
	dacl, _, err := sd.DACL()
	c.Assert(err, gc.IsNil)
	c.Assert(dacl, gc.NotNil)
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var e *windows.ACCESS_ALLOWED_ACE
		c.Assert(windows.GetAce(dacl, i, &e), gc.IsNil)
		c.Assert(e.Header.AceType, gc.Equals, uint8(windows.ACCESS_ALLOWED_ACE_TYPE))
		entries = append(entries, fmt.Sprintf("%s allowed %#x, flags %#x",
			(*windows.SID)(unsafe.Pointer(&e.SidStart)).String(), uint32(e.Mask), e.Header.AceFlags))
	}
	return control&windows.SE_DACL_PROTECTED != 0, entries
}

func (s *windowsSuite) TestTrustedDirectoryReplacedBySymlink(c *gc.C) {
	s.addRestore(wrench.SetPollInterval(time.Millisecond))
	s.writeFile(c, "agent", "refuse-upgrade\nheld pause\n")
	c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
	answer := make(chan bool, 1)
	go func() { answer <- wrench.IsActive("agent", "held") }()
	s.waitFirings(c, "agent:held: pause fired", 1)
	// The trusted directory, with the same file in it, is now reached only
	// through a link: the running agent refuses it as a fresh one would,
	// and the paused call wakes to that answer.
	real := filepath.Join(s.dataDir, "real")
	c.Assert(os.Rename(s.dir, real), gc.IsNil)
	s.settle()
	err := os.Symlink(real, s.dir)
	if _, lerr := os.Lstat(s.dir); err != nil || lerr != nil {
		wrench.SetEnabled(false) // wake the paused call before skipping
		<-answer
		c.Skip("cannot make a symbolic link here (it takes Developer Mode or elevation on Windows; wine 8 makes none)")
	}
	c.Check(receive(c, answer, "the paused call"), gc.Equals, false)
	for i := 0; i < 100; i++ {
		c.Assert(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, false)
	}
	c.Check(s.errorsLogged("refusing wrench directory "+s.dir, "is a reparse point"), gc.HasLen, 1)
	// Put back, the real directory is honoured again.
	c.Assert(os.Remove(s.dir), gc.IsNil)
	s.settle()
	c.Assert(os.Rename(real, s.dir), gc.IsNil)
	s.settle()
	c.Check(wrench.IsActive("agent", "refuse-upgrade"), gc.Equals, true)
}

// lockVictim makes a file outside the wrench directory that a lock file
// might be made another name for.
func (s *windowsSuite) lockVictim(c *gc.C) string {
	path := filepath.Join(s.dataDir, "victim")
	c.Assert(os.WriteFile(path, []byte("not yours\n"), 0o644), gc.IsNil)
	return path
}

// checkLockVictim checks the victim kept its content and attributes.
func checkLockVictim(c *gc.C, path string, mode os.FileMode) {
	data, err := os.ReadFile(path)
	c.Assert(err, gc.IsNil)
	c.Check(string(data), gc.Equals, "not yours\n")
	c.Check(lstatMode(c, path), gc.Equals, mode)
}

func lstatMode(c *gc.C, path string) os.FileMode {
	fi, err := os.Lstat(path)
	c.Assert(err, gc.IsNil)
	return fi.Mode()
}

func (s *windowsSuite) TestAHardLinkedLockIsRefused(c *gc.C) {
	victim := s.lockVictim(c)
	mode := lstatMode(c, victim)
	lock := filepath.Join(s.dir, wrench.LockName)
	if err := os.Link(victim, lock); err != nil {
		c.Skip("cannot make a hard link here: " + err.Error())
	}
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches,
		`refusing lock file .*\\wrench\\\.lock: it has 2 hard links, not 1; remove it \(the next writer creates a fresh one\)`)
	checkLockVictim(c, victim, mode)
	c.Check(wrench.IsActive("agent", "x"), gc.Equals, false)

	c.Assert(os.Remove(lock), gc.IsNil)
	s.settle()
	c.Assert(wrench.Set("agent", "x", ""), gc.IsNil)
	checkLockVictim(c, victim, mode)
}

func (s *windowsSuite) TestASymlinkedLockIsRefusedAndNotFollowed(c *gc.C) {
	victim := s.lockVictim(c)
	mode := lstatMode(c, victim)
	lock := filepath.Join(s.dir, wrench.LockName)
	if err := os.Symlink(victim, lock); err != nil {
		c.Skip("cannot make a symbolic link here (it needs a privilege or developer mode): " + err.Error())
	}
	if fi, err := os.Lstat(lock); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		// Wine makes a unix symlink that its own Lstat then cannot see.
		c.Skip(fmt.Sprintf("the symbolic link made here does not read back as a reparse point (wine): %v", err))
	}
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches,
		`refusing lock file .*\\wrench\\\.lock: it is a reparse point \(a symbolic link or junction\), not a regular file; remove it .*`)
	checkLockVictim(c, victim, mode)
}

func (s *windowsSuite) TestALockThatIsADirectoryIsRefused(c *gc.C) {
	lock := filepath.Join(s.dir, wrench.LockName)
	c.Assert(os.Mkdir(lock, 0o755), gc.IsNil)
	c.Check(wrench.Set("agent", "x", ""), gc.ErrorMatches,
		`refusing lock file .*\\wrench\\\.lock: it is a directory, not a regular file; remove it .*`)
	c.Check(lstatMode(c, lock).IsDir(), gc.Equals, true)
}
