//go:build windows

package wrench

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unsafe"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/trust"
)

// shareAll lets others read, write, rename and delete a file while wrench
// has it open, so a reader never locks a writer out.
const shareAll = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE

// dirAccess is what the wrench directory is opened with: enough to read
// its security descriptor and attributes and to open files beneath it.
const dirAccess = windows.READ_CONTROL | windows.FILE_READ_ATTRIBUTES | windows.FILE_LIST_DIRECTORY |
	windows.FILE_TRAVERSE | windows.SYNCHRONIZE

// fileKey is a file's identity and state as its handle gives them. Any
// rewrite, touch, replacement, ACL change or owner change changes it. The
// security descriptor is in it because timestamps need not change when
// only the ACL does. The last access time is not: reading changes it.
//
// There is no volume serial number: the file is opened beneath a verified
// directory handle, and asking for the volume is dear (under wine it costs
// more than everything else together).
type fileKey struct {
	fileType                  uint32 // GetFileType: disk, pipe or character device
	index                     int64  // the file's number on its volume
	size                      int64
	created, written, changed int64 // FILETIMEs, in 100 ns
	attrs                     uint32
	security                  string // the owner and DACL as a self-relative security descriptor
}

// kind is the type of object the key describes.
func (k fileKey) kind() trust.Kind {
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

// handleState is what one open handle says about its object.
type handleState struct {
	key           fileKey
	sd            *windows.SECURITY_DESCRIPTOR // nil unless the object is on a disk
	deletePending bool                         // deleted, and gone once the last handle closes
}

// fileBasicInfo is FILE_BASIC_INFO.
type fileBasicInfo struct {
	CreationTime, LastAccessTime, LastWriteTime, ChangeTime int64
	FileAttributes                                          uint32
	_                                                       uint32
}

// fileStandardInfo is FILE_STANDARD_INFO.
type fileStandardInfo struct {
	AllocationSize, EndOfFile int64
	NumberOfLinks             uint32
	DeletePending, Directory  bool
	_                         [2]byte
}

// fileInternalInformation is the FILE_INFORMATION_CLASS giving a file's
// 64-bit index number on its volume.
const fileInternalInformation = 6

// inspect reads the identity, state and security descriptor of the object
// h refers to: everything is checked on the handle that is read.
func inspect(h windows.Handle) (handleState, error) {
	fileType, err := windows.GetFileType(h)
	if err != nil {
		return handleState{}, errors.Annotate(err, "cannot tell what it is")
	}
	st := handleState{key: fileKey{fileType: fileType}}
	if fileType != windows.FILE_TYPE_DISK {
		return st, nil // its kind alone refuses it
	}
	var basic fileBasicInfo
	if err := windows.GetFileInformationByHandleEx(h, windows.FileBasicInfo,
		(*byte)(unsafe.Pointer(&basic)), uint32(unsafe.Sizeof(basic))); err != nil {
		return handleState{}, errors.Annotate(err, "cannot read its attributes")
	}
	var standard fileStandardInfo
	if err := windows.GetFileInformationByHandleEx(h, windows.FileStandardInfo,
		(*byte)(unsafe.Pointer(&standard)), uint32(unsafe.Sizeof(standard))); err != nil {
		return handleState{}, errors.Annotate(err, "cannot read its size")
	}
	var index int64
	var iosb windows.IO_STATUS_BLOCK
	if err := windows.NtQueryInformationFile(h, &iosb, (*byte)(unsafe.Pointer(&index)),
		uint32(unsafe.Sizeof(index)), fileInternalInformation); err != nil {
		return handleState{}, errors.Annotate(err, "cannot read its file number")
	}
	sd, err := windows.GetSecurityInfo(h, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return handleState{}, errors.Annotate(err, "cannot read its security descriptor")
	}
	st.sd = sd
	st.deletePending = standard.DeletePending
	st.key.index = index
	st.key.size = standard.EndOfFile
	st.key.created = basic.CreationTime
	st.key.written = basic.LastWriteTime
	st.key.changed = basic.ChangeTime
	st.key.attrs = basic.FileAttributes
	st.key.security = string(unsafe.Slice((*byte)(unsafe.Pointer(sd)), sd.Length()))
	return st, nil
}

// verdict says why a process running as user must not trust the object
// st describes, as a wrench directory when dir is true and as a category
// file otherwise, or "" when it may.
func (st handleState) verdict(dir bool, user userID) string {
	facts, err := st.facts()
	if err != nil {
		return fmt.Sprintf("cannot read its security descriptor: %v", err)
	}
	if dir {
		return trust.ACLDirVerdict(facts, user)
	}
	return trust.ACLFileVerdict(facts, user)
}

// facts reduces st to what the trust rules look at.
func (st handleState) facts() (trust.ACLFacts, error) {
	f := trust.ACLFacts{Kind: st.key.kind(), Size: st.key.size}
	if st.sd == nil {
		return f, nil
	}
	owner, _, err := st.sd.Owner()
	if err != nil {
		return trust.ACLFacts{}, errors.Annotate(err, "reading its owner")
	}
	if owner != nil {
		f.Owner = owner.String()
	}
	// A descriptor without a DACL, and one whose DACL is NULL, both let
	// everyone do everything.
	dacl, _, err := st.sd.DACL()
	switch {
	case err == windows.ERROR_OBJECT_NOT_FOUND || err == nil && dacl == nil:
		f.NullDACL = true
	case err != nil:
		return trust.ACLFacts{}, errors.Annotate(err, "reading its DACL")
	default:
		if f.DACL, err = acesOf(dacl); err != nil {
			return trust.ACLFacts{}, errors.Trace(err)
		}
	}
	return f, nil
}

// ACE types that may appear in a file's DACL, beyond the two x/sys/windows
// names. Callback ACEs are conditional: an allow one is taken as granting,
// which is the safe reading.
const (
	aceTypeAllowedObject         = 0x5
	aceTypeDeniedObject          = 0x6
	aceTypeAllowedCallback       = 0x9
	aceTypeDeniedCallback        = 0xa
	aceTypeAllowedCallbackObject = 0xb
	aceTypeDeniedCallbackObject  = 0xc
)

// acesOf reads the entries of a DACL. An entry of a type it does not know
// is an error, which refuses the object: wrench cannot say who it lets in.
func acesOf(acl *windows.ACL) ([]trust.ACE, error) {
	aces := make([]trust.ACE, 0, acl.AceCount)
	for i := uint32(0); i < uint32(acl.AceCount); i++ {
		var p *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(acl, i, &p); err != nil {
			return nil, errors.Annotatef(err, "reading ACE %d", i)
		}
		e := trust.ACE{
			Mask:        uint32(p.Mask),
			Inherited:   p.Header.AceFlags&windows.INHERITED_ACE != 0,
			InheritOnly: p.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0,
		}
		// Where the SID starts: right after the mask, or after the object
		// ACE's flags and the GUIDs they say are present.
		sidOffset := unsafe.Offsetof(p.SidStart)
		switch p.Header.AceType {
		case windows.ACCESS_ALLOWED_ACE_TYPE, aceTypeAllowedCallback:
			e.Allow = true
		case windows.ACCESS_DENIED_ACE_TYPE, aceTypeDeniedCallback:
		case aceTypeAllowedObject, aceTypeAllowedCallbackObject, aceTypeDeniedObject, aceTypeDeniedCallbackObject:
			e.Allow = p.Header.AceType == aceTypeAllowedObject || p.Header.AceType == aceTypeAllowedCallbackObject
			flags := p.SidStart
			sidOffset += 4
			if flags&windows.ACE_OBJECT_TYPE_PRESENT != 0 {
				sidOffset += 16
			}
			if flags&windows.ACE_INHERITED_OBJECT_TYPE_PRESENT != 0 {
				sidOffset += 16
			}
		default:
			return nil, errors.Errorf("ACE %d is of type %#x, which wrench cannot read", i, p.Header.AceType)
		}
		if sidOffset+8 > uintptr(p.Header.AceSize) {
			return nil, errors.Errorf("ACE %d is too short to hold a SID", i)
		}
		sid := (*windows.SID)(unsafe.Add(unsafe.Pointer(p), sidOffset))
		if !sid.IsValid() || sidOffset+uintptr(sid.Len()) > uintptr(p.Header.AceSize) {
			return nil, errors.Errorf("ACE %d has an invalid SID", i)
		}
		e.SID = sid.String()
		aces = append(aces, e)
	}
	return aces, nil
}

// openNoFollow opens path, in the form extendedPath gives, as it is: a
// reparse point (symbolic link, junction) is opened itself, not followed,
// and a directory opens as well as a file.
func openNoFollow(path *uint16, access uint32) (windows.Handle, error) {
	return windows.CreateFile(path, access, shareAll, nil, windows.OPEN_EXISTING,
		windows.FILE_FLAG_BACKUP_SEMANTICS|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
}

// openBeneath opens the entry name of the directory dir for reading, the
// way openat does on unix: the name is looked up in the directory that
// was verified, not through its path again, and a reparse point is opened
// itself, not followed. No Win32 name rules apply, so NUL or COM1 here is
// a file of that name, never a device.
func openBeneath(dir windows.Handle, name *windows.NTUnicodeString) (windows.Handle, error) {
	oa := windows.OBJECT_ATTRIBUTES{RootDirectory: dir, ObjectName: name, Attributes: windows.OBJ_CASE_INSENSITIVE}
	oa.Length = uint32(unsafe.Sizeof(oa))
	var h windows.Handle
	var iosb windows.IO_STATUS_BLOCK
	err := windows.NtCreateFile(&h, windows.FILE_GENERIC_READ, &oa, &iosb, nil, 0, shareAll, windows.FILE_OPEN,
		windows.FILE_OPEN_REPARSE_POINT|windows.FILE_SYNCHRONOUS_IO_NONALERT, 0, 0)
	if err != nil {
		return 0, err
	}
	return h, nil
}

// ntString is name as the NT API takes it. name is a valid category name,
// so it is short and has no NUL.
func ntString(name string) windows.NTUnicodeString {
	u := utf16.Encode([]rune(name))
	return windows.NTUnicodeString{Length: uint16(2 * len(u)), MaximumLength: uint16(2 * len(u)), Buffer: &u[0]}
}

// isNotExist reports whether err from opening says there is nothing there
// (or nothing for much longer: a file being deleted).
func isNotExist(err error) bool {
	switch err {
	case windows.ERROR_FILE_NOT_FOUND, windows.ERROR_PATH_NOT_FOUND, windows.ERROR_DELETE_PENDING,
		windows.STATUS_OBJECT_NAME_NOT_FOUND, windows.STATUS_OBJECT_PATH_NOT_FOUND, windows.STATUS_DELETE_PENDING:
		return true
	}
	return false
}

// readAll reads the file h refers to, up to one byte past MaxFileSize so
// that growth beyond it shows.
func readAll(h windows.Handle) ([]byte, error) {
	return io.ReadAll(io.LimitReader(handleReader(h), MaxFileSize+1))
}

// handleReader reads a file opened for synchronous I/O.
type handleReader windows.Handle

func (h handleReader) Read(p []byte) (int, error) {
	var n uint32
	err := windows.ReadFile(windows.Handle(h), p, &n, nil)
	switch {
	case err == windows.ERROR_HANDLE_EOF, err == nil && n == 0 && len(p) > 0:
		return 0, io.EOF
	case err != nil:
		return int(n), err
	}
	return int(n), nil
}

// extendedPath gives path in the \\?\ form, which Windows opens exactly as
// written: a final NUL, CON or COM1 is a file of that name rather than a
// device, and trailing dots and spaces stay. problem says why path must
// not be opened at all (it names a device, a pipe or the NT namespace
// rather than a file on a volume), or is "".
func extendedPath(path string) (extended, problem string) {
	p := strings.ReplaceAll(path, "/", `\`)
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, `\\`) && !strings.HasPrefix(p, `\??\`) {
		// Relative to the working directory (or its drive). GetFullPathName
		// makes it absolute; it may turn it into a device path, caught below.
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Sprintf("cannot make %s absolute: %v", path, err)
		}
		p = abs
	}
	switch {
	case hasPrefixFold(p, `\\?\UNC\`) || strings.HasPrefix(p, `\\?\`) && isDriveRoot(p[4:]):
		return p, "" // already extended: Windows takes it as written
	case strings.HasPrefix(p, `\\?\`), strings.HasPrefix(p, `\\.\`), strings.HasPrefix(p, `\??\`):
		return "", fmt.Sprintf("%s is a device path, not a path to a file on a volume", path)
	case strings.HasPrefix(p, `\\`):
		return `\\?\UNC\` + filepath.Clean(p)[2:], ""
	}
	return `\\?\` + filepath.Clean(p), ""
}

// isDriveRoot reports whether p starts with a drive letter and a root, as
// in C:\.
func isDriveRoot(p string) bool {
	return len(p) >= 3 && p[1] == ':' && p[2] == '\\' &&
		('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
