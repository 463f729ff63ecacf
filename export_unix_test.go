//go:build unix

package wrench

// SetEUID makes the current data directory's trust rules allow uid, as
// if the process ran as that user, until SetDataDir is called again.
func SetEUID(uid int) {
	inUse.Load().euid = uid
}
