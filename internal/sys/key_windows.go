//go:build windows

package sys

import (
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/trust"
)

// FileKey is a file's identity and state as its handle gives them. Any
// rewrite, touch, replacement, ACL change or owner change changes it. The
// security descriptor is in it because timestamps need not change when
// only the ACL does. The last access time is not: reading changes it.
//
// There is no volume serial number: the file is opened beneath a verified
// directory handle, and asking for the volume is dear (under wine it costs
// more than everything else together). Keys are compared with ==.
type FileKey struct {
	fileType                  uint32 // GetFileType: disk, pipe or character device
	index                     int64  // the file's number on its volume
	size                      int64
	created, written, changed int64 // FILETIMEs, in 100 ns
	attrs                     uint32
	security                  string // the owner and DACL as a self-relative security descriptor
}

// Kind is the type of object the key describes.
func (k FileKey) Kind() trust.Kind {
	switch k.fileType {
	case windows.FILE_TYPE_DISK:
	case windows.FILE_TYPE_PIPE:
		return trust.KindFIFO
	case windows.FILE_TYPE_CHAR:
		return trust.KindDevice
	default:
		return trust.KindOther
	}
	switch {
	case k.attrs&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0:
		return trust.KindReparsePoint
	case k.attrs&windows.FILE_ATTRIBUTE_DEVICE != 0:
		return trust.KindDevice
	case k.attrs&windows.FILE_ATTRIBUTE_DIRECTORY != 0:
		return trust.KindDirectory
	}
	return trust.KindRegular
}

// Size is the size of the file the key describes, in bytes.
func (k FileKey) Size() int64 { return k.size }
