package live

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/juju/errors"
)

// Read reads the state of every live process in wrenchDir: each
// directory of states there (DirPrefix and a user: a uid on unix, a SID
// on Windows) is read by the platform's readUserDir. The wrench
// directory itself must be one no one but its owner may change entries
// of (on unix: a real directory, not a link, writable by neither group
// nor others; on Windows: the ACL rule of a wrench directory for this
// user): in any other, anyone could add states or hide them, so none is
// believed and the directory is Ignored, with why. A state is believed
// when its directory and file pass the trust rules of a category file
// for a process of that user (on unix: owned by the uid or root, writable
// by nobody else, in a wrench directory such a process trusts; on
// Windows: owned by this user, SYSTEM or Administrators, no one else may
// write them), and it describes a process of that user that runs now
// with the pid and start time it gives. The state of a process that has
// exited is removed where this process may remove it, and never shown. A
// wrench directory that does not exist holds none.
func Read(wrenchDir string) (Found, error) {
	var f Found
	w, err := openWrench(&f, wrenchDir)
	if err != nil || w == nil {
		return f, err
	}
	defer w.close()
	names, err := w.names()
	if err != nil {
		return f, errors.Annotatef(err, "cannot read live state in %s", wrenchDir)
	}
	for _, name := range names {
		if strings.HasPrefix(name, DirPrefix) {
			w.readUserDir(&f, name, strings.TrimPrefix(name, DirPrefix))
		}
	}
	f.sort()
	return f, nil
}

// Found is what Read found in a wrench directory.
type Found struct {
	// Processes are the states of live processes, trusted, by pid.
	Processes []*Process
	// Ignored are the states, and directories of states, not trusted or
	// not readable, with why.
	Ignored []Ignored
}

// Ignored is a state, or a directory of them, that Read did not believe.
type Ignored struct {
	Path   string
	Reason string
}

func (f *Found) ignore(path, format string, args ...any) {
	f.Ignored = append(f.Ignored, Ignored{Path: path, Reason: fmt.Sprintf(format, args...)})
}

func (f *Found) sort() {
	sort.Slice(f.Processes, func(i, j int) bool { return f.Processes[i].PID < f.Processes[j].PID })
	sort.Slice(f.Ignored, func(i, j int) bool { return f.Ignored[i].Path < f.Ignored[j].Path })
}

// pidName is the pid a state file's name gives, or false when the name
// is not a pid.
func pidName(name string) (int, bool) {
	pid, err := strconv.Atoi(name)
	return pid, err == nil && pid > 0 && strconv.Itoa(pid) == name
}

// tempPID is the pid of the publisher whose temporary file name is, or
// false when name is not one.
func tempPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, ".")
	if !ok {
		return 0, false
	}
	pid, _, ok := strings.Cut(rest, ".tmp-")
	if !ok {
		return 0, false
	}
	return pidName(pid)
}

// verify checks what a state says of itself against where it was found
// (in the directory of user, as name) and the running process. It
// reports whether p describes a live process to show (with the reason
// why not when it is still to be shown as ignored), and whether p is the
// state of a process that has exited, to remove.
func verify(p *Process, name, user string, uid int) (reason string, dead bool) {
	if strconv.Itoa(p.PID) != name {
		return fmt.Sprintf("describes pid %d, but is named %s", p.PID, name), false
	}
	if uid >= 0 && p.EUID != uid {
		return fmt.Sprintf("describes a process of uid %d, but is in the directory of uid %d", p.EUID, uid), false
	}
	if uid < 0 && !strings.EqualFold(p.User, user) {
		return fmt.Sprintf("describes a process of user %s, but is in the directory of %s", p.User, user), false
	}
	l, euid := Check(p)
	if l == Dead {
		return "", true
	}
	if uid >= 0 && euid >= 0 && euid != uid {
		return fmt.Sprintf("names pid %d, which runs as uid %d, not uid %d", p.PID, euid, uid), false
	}
	return "", false
}
