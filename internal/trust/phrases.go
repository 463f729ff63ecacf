package trust

import (
	"fmt"
	"strconv"
)

// The refusal phrases. Each follows the path it refuses in a log line
// ("refusing /var/lib/wrench/agent: is a symbolic link, not a regular
// file") and in Check's reports. Users match them in logs and scripts, so
// each is written here once and its wording does not change.

// NotRegular is the refusal of a category path that holds something other
// than a regular file: wrench opens nothing else, since a FIFO would block
// and a device could act on being opened.
func NotRegular(k Kind) string {
	return "is " + k.String() + ", not a regular file"
}

// NotDirectory is the refusal of a wrench directory path that holds
// something other than a directory, a symbolic link to one included.
func NotDirectory(k Kind) string {
	return "is " + k.String() + ", not a directory"
}

// TooBig is the refusal of a category file of size bytes, over
// MaxFileSize: it is refused as a whole rather than read in part.
func TooBig(size int64) string {
	return "is " + strconv.FormatInt(size, 10) + " bytes, over the " + limit + " byte limit"
}

// Grew is the refusal of a category file that was within MaxFileSize when
// it was looked at but had more than that to read: it is refused as TooBig
// would refuse it, without reading further.
const Grew = "grew over the " + limit + " byte limit while being read"

// limit is MaxFileSize as the phrases spell it. It is a constant so that
// Grew is one; a test holds it to MaxFileSize.
const limit = "65536"

// CannotOpen is the refusal of a category file or wrench directory that
// the system would not open, with the system's reason (err without the
// path, which the message names already).
func CannotOpen(err error) string {
	return fmt.Sprintf("cannot be opened: %v", err)
}

// CannotRead is the refusal of a category file whose content could not be
// read after it was opened, with the system's reason.
func CannotRead(err error) string {
	return fmt.Sprintf("cannot be read: %v", err)
}
