// Package trust is the policy that decides whether wrench may believe what
// is on disk: who may own a wrench directory or category file, who else may
// write it, and what kind and size it may be. It holds the unix rules
// (owners and mode bits) and the Windows rules (owners and ACLs) side by
// side as plain Go, so that both are compiled and tested on every platform;
// package sys reduces what the system says to the facts these rules take.
//
// Every refusal a user may match in a log is worded here, once: the
// verdicts, and the phrases (NotRegular, TooBig, Grew, CannotOpen...) that
// IsActive, Check and the writer use when they refuse without a verdict.
//
// The package makes no system call and imports nothing of the project.
package trust

import "io/fs"

// MaxFileSize is the largest category file wrench reads. A larger file is
// refused as a whole: a rules file is a few lines, and a cap keeps a hostile
// or runaway file from costing the agent memory.
const MaxFileSize = 64 << 10

// RootUID is the one user besides the process's own that may arm a wrench
// on unix, and the one user the kernel grants every access.
const RootUID = 0

// Kind is the type of a file system object, reduced to what the trust rules
// distinguish between. Only a KindRegular file is ever read, and only a
// KindDirectory is ever a wrench directory; the others exist to say what
// was found instead.
type Kind int

// The kinds, as both platforms report them.
const (
	KindRegular Kind = iota
	KindDirectory
	KindSymlink
	KindFIFO
	KindDevice
	KindSocket
	KindReparsePoint // Windows: a symbolic link, junction or other reparse point
	KindOther
)

// String names the kind the way a refusal message reads ("is a device,
// not a regular file").
func (k Kind) String() string {
	switch k {
	case KindRegular:
		return "a regular file"
	case KindDirectory:
		return "a directory"
	case KindSymlink:
		return "a symbolic link"
	case KindFIFO:
		return "a named pipe (FIFO)"
	case KindDevice:
		return "a device"
	case KindSocket:
		return "a socket"
	case KindReparsePoint:
		return "a reparse point (a symbolic link or junction)"
	}
	return "not a regular file or directory"
}

// KindOfMode reduces the mode os.Lstat reports to the kinds the rules tell
// apart. On Windows Go reports symbolic links and mount points (junctions)
// as symlinks, and other reparse points as irregular, so those are
// KindSymlink and KindOther here.
func KindOfMode(m fs.FileMode) Kind {
	switch {
	case m&fs.ModeSymlink != 0:
		return KindSymlink
	case m.IsDir():
		return KindDirectory
	case m&fs.ModeNamedPipe != 0:
		return KindFIFO
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return KindDevice
	case m&fs.ModeSocket != 0:
		return KindSocket
	case m.IsRegular():
		return KindRegular
	}
	return KindOther
}
