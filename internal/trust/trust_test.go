package trust

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	gc "gopkg.in/check.v1"
)

func Test(t *testing.T) { gc.TestingT(t) }

// phraseSuite holds the refusal phrases to their wording: users match
// them in logs, so a change of a word is a change of the contract.
type phraseSuite struct{}

var _ = gc.Suite(&phraseSuite{})

var allKinds = []Kind{KindRegular, KindDirectory, KindSymlink, KindFIFO, KindDevice, KindSocket, KindReparsePoint, KindOther}

func (*phraseSuite) TestKindNames(c *gc.C) {
	var names []string
	for _, k := range allKinds {
		names = append(names, k.String())
	}
	c.Check(names, gc.DeepEquals, []string{
		"a regular file", "a directory", "a symbolic link", "a named pipe (FIFO)", "a device", "a socket",
		"a reparse point (a symbolic link or junction)", "not a regular file or directory",
	})
}

func (*phraseSuite) TestPhrases(c *gc.C) {
	for _, k := range allKinds {
		c.Check(NotRegular(k), gc.Equals, fmt.Sprintf("is %s, not a regular file", k))
		c.Check(NotDirectory(k), gc.Equals, fmt.Sprintf("is %s, not a directory", k))
	}
	c.Check(NotRegular(KindSymlink), gc.Equals, "is a symbolic link, not a regular file")
	c.Check(NotDirectory(KindRegular), gc.Equals, "is a regular file, not a directory")
	c.Check(TooBig(MaxFileSize+1), gc.Equals, "is 65537 bytes, over the 65536 byte limit")
	c.Check(TooBig(1<<40), gc.Equals, "is 1099511627776 bytes, over the 65536 byte limit")
	c.Check(Grew, gc.Equals, "grew over the 65536 byte limit while being read")
	// The phrases spell the limit that is enforced.
	c.Check(limit, gc.Equals, fmt.Sprint(MaxFileSize))
	err := errors.New("permission denied")
	c.Check(CannotOpen(err), gc.Equals, "cannot be opened: permission denied")
	c.Check(CannotRead(err), gc.Equals, "cannot be read: permission denied")
}

func (*phraseSuite) TestKindOfMode(c *gc.C) {
	for _, t := range []struct {
		mode fs.FileMode
		kind Kind
	}{
		{0o644, KindRegular},
		{fs.ModeDir | 0o755, KindDirectory},
		{fs.ModeSymlink | 0o777, KindSymlink},
		// A link to a directory is the link: Lstat never follows.
		{fs.ModeSymlink | fs.ModeDir, KindSymlink},
		{fs.ModeNamedPipe | 0o600, KindFIFO},
		{fs.ModeDevice | 0o600, KindDevice},
		{fs.ModeDevice | fs.ModeCharDevice | 0o600, KindDevice},
		{fs.ModeSocket | 0o600, KindSocket},
		// What Go reports for a reparse point that is no link or junction.
		{fs.ModeIrregular, KindOther},
	} {
		c.Check(KindOfMode(t.mode), gc.Equals, t.kind, gc.Commentf("%v", t.mode))
	}
}

// ownerSuite tests the unix rules on owners and mode bits.
type ownerSuite struct{}

var _ = gc.Suite(&ownerSuite{})

const (
	euid     = 1000
	otherUID = 12345
)

func (*ownerSuite) TestTrusted(c *gc.C) {
	for _, uid := range []uint32{euid, RootUID} {
		for _, perm := range []uint32{0o644, 0o600, 0o400, 0o755, 0o4755, 0o1755, 0o000} {
			comment := gc.Commentf("uid %d, mode %04o", uid, perm)
			c.Check(FileVerdict(Ownership{Kind: KindRegular, UID: uid, Perm: perm, Size: 10}, euid), gc.Equals, "", comment)
			c.Check(DirVerdict(Ownership{Kind: KindDirectory, UID: uid, Perm: perm}, euid), gc.Equals, "", comment)
		}
	}
	// A process running as root trusts only root.
	c.Check(FileVerdict(Ownership{Kind: KindRegular, UID: 0, Perm: 0o644}, RootUID), gc.Equals, "")
	c.Check(FileVerdict(Ownership{Kind: KindRegular, UID: euid, Perm: 0o644}, RootUID), gc.Equals,
		"is owned by uid 1000, not by uid 0 or root")
}

func (*ownerSuite) TestRefusals(c *gc.C) {
	for _, t := range []struct {
		o      Ownership
		reason string
	}{
		{Ownership{Kind: KindRegular, UID: otherUID, Perm: 0o644}, "is owned by uid 12345, not by uid 1000 or root"},
		{Ownership{Kind: KindRegular, UID: euid, Perm: 0o664}, "is writable by its group (mode 0664)"},
		{Ownership{Kind: KindRegular, UID: euid, Perm: 0o646}, "is writable by others (mode 0646)"},
		// The owner is judged first, then the group, then others.
		{Ownership{Kind: KindRegular, UID: otherUID, Perm: 0o666}, "is owned by uid 12345, not by uid 1000 or root"},
		{Ownership{Kind: KindRegular, UID: RootUID, Perm: 0o1777}, "is writable by its group (mode 1777)"},
	} {
		c.Check(FileVerdict(t.o, euid), gc.Equals, t.reason)
		d := t.o
		d.Kind = KindDirectory
		c.Check(DirVerdict(d, euid), gc.Equals, t.reason)
	}
}

func (*ownerSuite) TestKindsAndSize(c *gc.C) {
	for _, k := range allKinds {
		o := Ownership{Kind: k, UID: euid, Perm: 0o644}
		want := ""
		if k != KindRegular {
			want = NotRegular(k)
		}
		c.Check(FileVerdict(o, euid), gc.Equals, want, gc.Commentf("%v", k))
		if want = ""; k != KindDirectory {
			want = NotDirectory(k)
		}
		c.Check(DirVerdict(o, euid), gc.Equals, want, gc.Commentf("%v", k))
	}
	// The kind is judged before the owner: a link is never followed to
	// judge what it names.
	c.Check(FileVerdict(Ownership{Kind: KindSymlink, UID: otherUID, Perm: 0o777}, euid), gc.Equals,
		"is a symbolic link, not a regular file")
	f := Ownership{Kind: KindRegular, UID: euid, Perm: 0o644, Size: MaxFileSize}
	c.Check(FileVerdict(f, euid), gc.Equals, "")
	f.Size++
	c.Check(FileVerdict(f, euid), gc.Equals, "is 65537 bytes, over the 65536 byte limit")
	// A directory's size is no concern.
	c.Check(DirVerdict(Ownership{Kind: KindDirectory, UID: euid, Perm: 0o755, Size: 10 * MaxFileSize}, euid), gc.Equals, "")
}

func (*ownerSuite) TestDirTrustedIsDirVerdictSaysNothing(c *gc.C) {
	for _, k := range allKinds {
		for _, uid := range []uint32{RootUID, euid, otherUID} {
			for perm := uint32(0); perm <= 0o7777; perm++ {
				o := Ownership{Kind: k, UID: uid, Perm: perm}
				for _, as := range []int{RootUID, euid} {
					if DirTrusted(o, as) != (DirVerdict(o, as) == "") {
						c.Fatalf("DirTrusted(%+v, %d) is %v; DirVerdict says %q", o, as, DirTrusted(o, as), DirVerdict(o, as))
					}
				}
			}
		}
	}
}

func (*ownerSuite) TestDirTrustedAllocatesNothing(c *gc.C) {
	o := Ownership{Kind: KindDirectory, UID: euid, Perm: 0o755}
	c.Check(testing.AllocsPerRun(100, func() {
		if !DirTrusted(o, euid) {
			panic("refused")
		}
	}), gc.Equals, 0.0)
}
