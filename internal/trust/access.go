package trust

import (
	"fmt"
	"path"
	"strings"
)

// The unix access model: whether a given user's process could read a
// category file or reach the wrench directory at all. IsActive needs no
// such answer (the kernel gives it), but Check, judging for a user other
// than its own, must work it out as the kernel would.

// Viewer is the user a verdict is for, with the groups its process has:
// the kernel grants read and search by the owner's bits, the group's bits
// or the others' bits, whichever class the process falls in.
type Viewer struct {
	// UID is the user's uid: the owner bits apply when it owns the file,
	// and RootUID needs no bits at all.
	UID int
	// Groups holds the gids the user's process has (its primary group
	// and the supplementary ones): the group bits apply when the file's
	// group is among them.
	Groups map[uint32]bool
	// Unknown says why the groups are not known, "" when they are. A
	// grant through the group alone is then a problem that says so: it
	// may or may not apply.
	Unknown string
}

// ModeFacts are what the kernel's permission check looks at.
type ModeFacts struct {
	UID, GID, Perm uint32
}

// Right is an access a Viewer may need: one permission bit of a class.
type Right uint32

// The rights IsActive needs: to read a category file, and to search (and,
// where it opens it for reading, read) the directories on its way.
const (
	Search Right = 0o1
	Read   Right = 0o4
)

// done is the right as a refusal reads: "cannot be searched".
func (r Right) done() string {
	if r == Search {
		return "searched"
	}
	return "read"
}

// Access says why v could not exercise r on an object with these facts,
// or "". Root can always. As in the kernel, only one class counts: the
// owner's bits for the owner, the group's for a member of the group, the
// others' for the rest.
func (v Viewer) Access(o ModeFacts, r Right) string {
	bit := uint32(r)
	switch {
	case v.UID == RootUID:
		return ""
	case int64(o.UID) == int64(v.UID):
		if o.Perm&(bit<<6) != 0 {
			return ""
		}
	case v.Groups[o.GID]:
		if o.Perm&(bit<<3) != 0 {
			return ""
		}
		return fmt.Sprintf("cannot be %s by uid %d (mode %04o, owner uid %d, group %d, which uid %d is in)", r.done(), v.UID, o.Perm, o.UID, o.GID, v.UID)
	case o.Perm&bit != 0:
		return ""
	case o.Perm&(bit<<3) != 0 && v.Unknown != "":
		return fmt.Sprintf("cannot be %s by uid %d unless it is in group %d (mode %04o; %s)", r.done(), v.UID, o.GID, o.Perm, v.Unknown)
	}
	return fmt.Sprintf("cannot be %s by uid %d (mode %04o, owner uid %d)", r.done(), v.UID, o.Perm, o.UID)
}

// DirVerdict says why IsActive in a process of v would refuse a wrench
// directory with these facts and group gid, or "" when it would use it:
// the trust rules, then search, then read when needRead says IsActive
// opens the directory for reading. Listing it is not among IsActive's
// needs: it looks up the categories it is asked for.
func (v Viewer) DirVerdict(o Ownership, gid uint32, needRead bool) string {
	if reason := DirVerdict(o, v.UID); reason != "" {
		return reason
	}
	facts := ModeFacts{UID: o.UID, GID: gid, Perm: o.Perm}
	if reason := v.Access(facts, Search); reason != "" {
		return reason
	}
	if needRead {
		return v.Access(facts, Read)
	}
	return ""
}

// FileVerdict says why IsActive in a process of v would refuse a category
// file with these facts and group gid, or "" when it would read it.
func (v Viewer) FileVerdict(o Ownership, gid uint32) string {
	if reason := FileVerdict(o, v.UID); reason != "" {
		return reason
	}
	return v.Access(ModeFacts{UID: o.UID, GID: gid, Perm: o.Perm}, Read)
}

// Namespace is the file system as Reach walks it, one name at a time.
// Paths are absolute and slash-separated.
type Namespace interface {
	// Stat is the facts of what path names, following symbolic links.
	Stat(path string) (ModeFacts, error)
	// Lstat is the kind and facts of path itself. found is false, with
	// no error, when there is nothing to reach (no such name, or a name
	// on the way is not a directory): opening the directory says so.
	Lstat(path string) (kind Kind, facts ModeFacts, found bool, err error)
	// Readlink is the target of the symbolic link at path.
	Readlink(path string) (string, error)
}

// maxLinks bounds the symbolic links Reach follows on the way to the
// wrench directory, as the kernel's own limit (40 on Linux) does.
const maxLinks = 40

// Reach says why a process of v could not reach the wrench directory at
// the absolute path dir, or "": a directory on the way that it cannot
// search. The way is the kernel's: the path is resolved one name at a
// time from the root, following symbolic links, so the directories judged
// are the ones a lookup passes through.
func (v Viewer) Reach(dir string, ns Namespace) string {
	if v.UID == RootUID {
		return ""
	}
	todo := splitPath(path.Dir(dir))
	cur, links := "/", 0
	st, err := ns.Stat(cur)
	if err != nil {
		return fmt.Sprintf("is out of reach: / cannot be looked at: %v", err)
	}
	for {
		if reason := v.Access(st, Search); reason != "" {
			return fmt.Sprintf("is out of reach: %s %s", cur, reason)
		}
		for len(todo) > 0 && todo[0] == "." {
			todo = todo[1:]
		}
		if len(todo) == 0 {
			return ""
		}
		name := todo[0]
		todo = todo[1:]
		next := path.Join(cur, name) // cur holds no link, so ".." is lexical
		kind, facts, found, err := ns.Lstat(next)
		switch {
		case err != nil:
			return fmt.Sprintf("is out of reach of this process: %s cannot be looked at: %v", next, err)
		case !found:
			return "" // nothing to reach: opening the directory says so
		}
		switch kind {
		case KindSymlink:
			if links++; links > maxLinks {
				return fmt.Sprintf("is out of reach: more than %d symbolic links on the way", maxLinks)
			}
			target, err := ns.Readlink(next)
			if err != nil {
				return fmt.Sprintf("is out of reach of this process: %v", err)
			}
			todo = append(splitPath(target), todo...)
			if path.IsAbs(target) {
				cur = "/"
			}
			if st, err = ns.Stat(cur); err != nil {
				return fmt.Sprintf("is out of reach of this process: %s cannot be looked at: %v", cur, err)
			}
		case KindDirectory:
			cur, st = next, facts
		default:
			return "" // not a directory: opening the directory says so
		}
	}
}

// splitPath is the names of p, without empty ones.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}
