//go:build windows

package wrench

import "github.com/go-wrench/wrench/internal/sys"

// VerifyPathWindows exposes the Windows trust check the command uses.
var VerifyPathWindows = verifyPathWindows

// ExtendedPath exposes how paths are put in \\?\ form before opening.
var ExtendedPath = sys.ExtendedPath

// DefaultDataDir exposes the data directory used until SetDataDir.
var DefaultDataDir = defaultDataDir

// NewDirSDDL exposes the security descriptor new wrench directories get.
const NewDirSDDL = newDirSDDL
