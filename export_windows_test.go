//go:build windows

package wrench

// VerifyPathWindows exposes the Windows trust check the command uses.
var VerifyPathWindows = verifyPathWindows

// ExtendedPath exposes how paths are put in \\?\ form before opening.
var ExtendedPath = extendedPath

// DefaultDataDir exposes the data directory used until SetDataDir.
var DefaultDataDir = defaultDataDir

// NewDirSDDL exposes the security descriptor new wrench directories get.
const NewDirSDDL = newDirSDDL
