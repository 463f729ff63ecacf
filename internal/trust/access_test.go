package trust

import (
	"errors"
	"fmt"
	"path"
	"strings"

	gc "gopkg.in/check.v1"
)

// accessSuite tests the unix access model Check judges other users by.
type accessSuite struct{}

var _ = gc.Suite(&accessSuite{})

const (
	userGID  = 100 // a group the viewer is in
	otherGID = 200 // one it is not in
)

func member() Viewer { return Viewer{UID: euid, Groups: map[uint32]bool{userGID: true}} }

func (*accessSuite) TestClasses(c *gc.C) {
	v := member()
	for _, t := range []struct {
		o      ModeFacts
		r      Right
		reason string
	}{
		// The owner's bits for the owner, even when others may.
		{ModeFacts{UID: euid, GID: otherGID, Perm: 0o400}, Read, ""},
		{ModeFacts{UID: euid, GID: otherGID, Perm: 0o044}, Read, "cannot be read by uid 1000 (mode 0044, owner uid 1000)"},
		{ModeFacts{UID: euid, GID: otherGID, Perm: 0o100}, Search, ""},
		{ModeFacts{UID: euid, GID: otherGID, Perm: 0o600}, Search, "cannot be searched by uid 1000 (mode 0600, owner uid 1000)"},
		// The group's bits for a member, even when others may.
		{ModeFacts{UID: RootUID, GID: userGID, Perm: 0o040}, Read, ""},
		{ModeFacts{UID: RootUID, GID: userGID, Perm: 0o604}, Read,
			"cannot be read by uid 1000 (mode 0604, owner uid 0, group 100, which uid 1000 is in)"},
		{ModeFacts{UID: RootUID, GID: userGID, Perm: 0o701}, Search,
			"cannot be searched by uid 1000 (mode 0701, owner uid 0, group 100, which uid 1000 is in)"},
		// The others' bits for the rest.
		{ModeFacts{UID: RootUID, GID: otherGID, Perm: 0o004}, Read, ""},
		{ModeFacts{UID: RootUID, GID: otherGID, Perm: 0o001}, Search, ""},
		{ModeFacts{UID: RootUID, GID: otherGID, Perm: 0o750}, Search, "cannot be searched by uid 1000 (mode 0750, owner uid 0)"},
	} {
		c.Check(v.Access(t.o, t.r), gc.Equals, t.reason, gc.Commentf("%+v %v", t.o, t.r))
	}
}

func (*accessSuite) TestRootAlwaysMay(c *gc.C) {
	root := Viewer{UID: RootUID}
	c.Check(root.Access(ModeFacts{UID: otherUID, GID: otherGID, Perm: 0}, Read), gc.Equals, "")
	c.Check(root.Access(ModeFacts{UID: otherUID, GID: otherGID, Perm: 0}, Search), gc.Equals, "")
}

func (*accessSuite) TestUnknownGroups(c *gc.C) {
	v := Viewer{UID: euid, Unknown: "uid 1000 has no user entry, so its groups are unknown"}
	// A grant through the group alone may or may not apply.
	c.Check(v.Access(ModeFacts{UID: RootUID, GID: otherGID, Perm: 0o640}, Read), gc.Equals,
		"cannot be read by uid 1000 unless it is in group 200 (mode 0640; uid 1000 has no user entry, so its groups are unknown)")
	// Others' bits need no groups.
	c.Check(v.Access(ModeFacts{UID: RootUID, GID: otherGID, Perm: 0o644}, Read), gc.Equals, "")
	// With no grant to the group there is nothing to be unsure of.
	c.Check(v.Access(ModeFacts{UID: RootUID, GID: otherGID, Perm: 0o600}, Read), gc.Equals,
		"cannot be read by uid 1000 (mode 0600, owner uid 0)")
}

func (*accessSuite) TestViewerVerdicts(c *gc.C) {
	v := member()
	dir := Ownership{Kind: KindDirectory, UID: RootUID, Perm: 0o711}
	// Search is enough where IsActive opens the directory without reading.
	c.Check(v.DirVerdict(dir, otherGID, false), gc.Equals, "")
	c.Check(v.DirVerdict(dir, otherGID, true), gc.Equals, "cannot be read by uid 1000 (mode 0711, owner uid 0)")
	dir.Perm = 0o700
	c.Check(v.DirVerdict(dir, otherGID, false), gc.Equals, "cannot be searched by uid 1000 (mode 0700, owner uid 0)")
	// The trust rules come first.
	dir.Perm = 0o777
	c.Check(v.DirVerdict(dir, otherGID, false), gc.Equals, "is writable by its group (mode 0777)")

	file := Ownership{Kind: KindRegular, UID: RootUID, Perm: 0o640}
	c.Check(v.FileVerdict(file, userGID), gc.Equals, "")
	c.Check(v.FileVerdict(file, otherGID), gc.Equals, "cannot be read by uid 1000 (mode 0640, owner uid 0)")
	file.UID = otherUID
	c.Check(v.FileVerdict(file, userGID), gc.Equals, "is owned by uid 12345, not by uid 1000 or root")
}

// node is one entry of a fakeNamespace.
type node struct {
	kind   Kind
	facts  ModeFacts
	target string // a symbolic link's
}

// fakeNamespace is a file system for Reach: absolute paths to entries.
// Paths under a name in failing cannot be looked at.
type fakeNamespace struct {
	nodes   map[string]node
	failing string
}

var errLook = errors.New("input/output error")

func (ns fakeNamespace) Lstat(p string) (Kind, ModeFacts, bool, error) {
	if ns.failing != "" && p == ns.failing {
		return 0, ModeFacts{}, false, errLook
	}
	n, ok := ns.nodes[p]
	if !ok {
		return 0, ModeFacts{}, false, nil
	}
	return n.kind, n.facts, true, nil
}

func (ns fakeNamespace) Stat(p string) (ModeFacts, error) {
	for range 100 {
		n, ok := ns.nodes[p]
		if !ok {
			return ModeFacts{}, fmt.Errorf("no such file or directory")
		}
		if n.kind != KindSymlink {
			return n.facts, nil
		}
		p = path.Join(path.Dir(p), n.target)
		if strings.HasPrefix(n.target, "/") {
			p = n.target
		}
	}
	return ModeFacts{}, fmt.Errorf("too many levels of symbolic links")
}

func (ns fakeNamespace) Readlink(p string) (string, error) {
	return ns.nodes[p].target, nil
}

// tree is a data directory /srv/data, reachable by everyone, with a
// wrench directory in it.
func tree() fakeNamespace {
	open := func(perm uint32) node {
		return node{kind: KindDirectory, facts: ModeFacts{UID: RootUID, GID: otherGID, Perm: perm}}
	}
	return fakeNamespace{nodes: map[string]node{
		"/":                  open(0o755),
		"/srv":               open(0o755),
		"/srv/data":          open(0o755),
		"/srv/data/wrench":   open(0o755),
		"/srv/locked":        open(0o700),
		"/srv/locked/wrench": open(0o755),
		"/srv/grouped":       {kind: KindDirectory, facts: ModeFacts{UID: RootUID, GID: userGID, Perm: 0o750}},
		"/srv/link":          {kind: KindSymlink, target: "locked"},
		"/srv/abslink":       {kind: KindSymlink, target: "/srv/data"},
		"/srv/data/back":     {kind: KindSymlink, target: "/srv/locked"},
		"/srv/loop":          {kind: KindSymlink, target: "loop"},
		"/srv/file":          {kind: KindRegular, facts: ModeFacts{Perm: 0o644}},
	}}
}

func (*accessSuite) TestReach(c *gc.C) {
	v := member()
	for _, t := range []struct {
		dir, reason string
	}{
		{"/srv/data/wrench", ""},
		{"/srv/locked/wrench", "is out of reach: /srv/locked cannot be searched by uid 1000 (mode 0700, owner uid 0)"},
		// A group member may pass where others may not.
		{"/srv/grouped/wrench", ""},
		// Links are followed as the kernel follows them, relative to
		// their own directory or from the root.
		{"/srv/link/wrench", "is out of reach: /srv/locked cannot be searched by uid 1000 (mode 0700, owner uid 0)"},
		{"/srv/abslink/wrench", ""},
		{"/srv/data/back/wrench", "is out of reach: /srv/locked cannot be searched by uid 1000 (mode 0700, owner uid 0)"},
		// ".." is lexical below a directory that holds no link.
		{"/srv/data/../locked/wrench", "is out of reach: /srv/locked cannot be searched by uid 1000 (mode 0700, owner uid 0)"},
		{"/srv/loop/wrench", "is out of reach: more than 40 symbolic links on the way"},
		// Nothing there, or a file on the way: opening says so, not reach.
		{"/srv/missing/wrench", ""},
		{"/srv/file/wrench", ""},
	} {
		c.Check(v.Reach(t.dir, tree()), gc.Equals, t.reason, gc.Commentf("%s", t.dir))
	}
	// Root searches everything.
	c.Check(Viewer{UID: RootUID}.Reach("/srv/locked/wrench", tree()), gc.Equals, "")
	// The groups being unknown is said where it matters.
	unknown := Viewer{UID: euid, Unknown: "groups unknown"}
	c.Check(unknown.Reach("/srv/grouped/wrench", tree()), gc.Equals,
		"is out of reach: /srv/grouped cannot be searched by uid 1000 unless it is in group 100 (mode 0750; groups unknown)")
}

func (*accessSuite) TestReachLookFailures(c *gc.C) {
	ns := tree()
	ns.failing = "/srv/data"
	c.Check(member().Reach("/srv/data/wrench", ns), gc.Equals,
		"is out of reach of this process: /srv/data cannot be looked at: input/output error")
	delete(ns.nodes, "/")
	c.Check(member().Reach("/srv/data/wrench", ns), gc.Equals,
		"is out of reach: / cannot be looked at: no such file or directory")
}
