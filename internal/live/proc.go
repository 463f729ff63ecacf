package live

import (
	"os"
	"path/filepath"
)

// Self is this process as its state describes it: pid, start, start time
// by the wall clock and executable, with the user it runs as.
func Self() Process {
	p := Process{Format: FormatVersion, PID: os.Getpid(), EUID: -1}
	p.Start, p.Started = startOf(p.PID)
	if exe, err := os.Executable(); err == nil {
		p.Executable = filepath.Base(exe)
	} else {
		p.Executable = filepath.Base(os.Args[0])
	}
	p.EUID, p.User = selfUser()
	return p
}

// DirPrefix begins the name of each user's directory of states in the
// wrench directory. It starts with ".", so it is never a category.
const DirPrefix = ".live-"

// unknownStart is the start running gives for a process it cannot ask
// (Windows: another user's, to a reader that is not an administrator):
// it matches any start, for the process exists.
const unknownStart = "?"

// Liveness is what the platform says of a pid a state file names.
type Liveness int

const (
	// Dead: no process has that pid now, or the one that has it started
	// at another time (the pid was used again).
	Dead Liveness = iota
	// Alive: the process with that pid started when the state says.
	Alive
)

// Check says whether the process p describes is still the one running
// with its pid. euid is the effective uid the platform gives for the
// running process, or -1 when it does not say (or on Windows).
func Check(p *Process) (l Liveness, euid int) {
	start, euid, ok := running(p.PID)
	if !ok || start != p.Start && start != unknownStart {
		return Dead, -1
	}
	return Alive, euid
}
