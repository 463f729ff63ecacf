//go:build windows

package store

import (
	"golang.org/x/sys/windows"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/sys"
	"github.com/go-wrench/wrench/internal/trust"
)

// sddlSuite tests the security descriptor the writer creates directories
// with; the Test function in store_test.go runs it.
type sddlSuite struct{}

var _ = gc.Suite(&sddlSuite{})

// TestNewDirSDDLIsNewDirDACL ties NewDirSDDL, which the writer creates
// directories with, to trust.NewDirDACL, which the trust package's tests
// judge by its rules. Parsing needs no file system, so wine checks it in
// full.
func (*sddlSuite) TestNewDirSDDLIsNewDirDACL(c *gc.C) {
	sd, err := windows.SecurityDescriptorFromString(NewDirSDDL)
	c.Assert(err, gc.IsNil)
	control, _, err := sd.Control()
	c.Assert(err, gc.IsNil)
	c.Check(control&windows.SE_DACL_PROTECTED, gc.Equals, windows.SECURITY_DESCRIPTOR_CONTROL(windows.SE_DACL_PROTECTED),
		gc.Commentf("the DACL must not inherit from the data directory"))
	// No owner: Windows makes the creator's default owner the owner.
	owner, _, err := sd.Owner()
	c.Assert(err, gc.IsNil)
	c.Check(owner, gc.IsNil)

	dacl, _, err := sd.DACL()
	c.Assert(err, gc.IsNil)
	c.Assert(dacl, gc.NotNil)
	aces, err := sys.ACEsOf(dacl)
	c.Assert(err, gc.IsNil)
	c.Check(aces, gc.DeepEquals, trust.NewDirDACL())
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var e *windows.ACCESS_ALLOWED_ACE
		c.Assert(windows.GetAce(dacl, i, &e), gc.IsNil)
		c.Check(e.Header.AceFlags, gc.Equals, uint8(windows.OBJECT_INHERIT_ACE|windows.CONTAINER_INHERIT_ACE),
			gc.Commentf("ACE %d must be inherited by files and directories", i))
	}
}
