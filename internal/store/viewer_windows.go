//go:build windows

package store

// On Windows the trust rules are about owners and ACLs, judged for the
// current user's token. Check therefore judges for the current user only:
// CheckUser, and the command's --uid, are errors here.

// Viewer is the user a verdict is for: on Windows always the current
// user, whose token the ACL checks use.
type Viewer struct{}

// ViewerOf is the current user, whatever uid says.
func ViewerOf(uid int, self bool) Viewer { return Viewer{} }

// ReachDir is "": Windows grants every user the right to pass through the
// directories above (the bypass-traverse-checking privilege), so only the
// wrench directory's and the files' own ACLs count.
func (v Viewer) ReachDir(path string) string { return "" }

// ChecksOtherUsers is false: Windows verdicts are for the current user.
const ChecksOtherUsers = false

// CallerUID is -1: Windows has no uid, and every verdict is for the
// current user.
func CallerUID() int { return -1 }
