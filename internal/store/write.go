package store

import "os"

// How a category file is written, on each platform: under the directory's
// lock (so concurrent writers, in this process or others, lose no
// update), into a temporary file beside it that is synced and then
// renamed over the category file, so a reader sees the old file or the
// new, never half of one, and a write that fails leaves the old file as
// it was.
//
// On unix the temporary file is mode 0644 whatever the umask, a wrench
// directory the writer creates is mode 0755, and the directory is synced
// after each rename and removal, so the change survives a crash.
//
// On Windows there are no mode bits: a wrench directory the writer creates
// gets the DACL of NewDirSDDL (full control for SYSTEM, Administrators and
// its owner, read for Users), which the files made in it inherit. The
// directory is not synced, which Windows cannot do without opening it for
// writing; NTFS journals the rename itself.

// writeFault lets tests make a step of a write fail: see SetWriteFault.
var writeFault = func(step string) error { return nil }

// SetWriteFault is for tests: it makes the writer ask f before each step
// of a write ("made-dir" once the wrench directory is made, "create" the
// temporary file, "rename" it over the old one); an error from f fails
// that step. It returns a function that puts the original back. It is
// not safe to call while a write runs.
func SetWriteFault(f func(step string) error) (restore func()) {
	old := writeFault
	writeFault = f
	return func() { writeFault = old }
}

// writeSynced writes data to f, syncs and closes it.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
