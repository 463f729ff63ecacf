//go:build windows

package sys

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ShareAll lets others read, write, rename and delete a file while wrench
// has it open, so a reader never locks a writer out.
const ShareAll = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE

// dirAccess is what the wrench directory is opened with: enough to read
// its security descriptor and attributes and to open files beneath it.
const dirAccess = windows.READ_CONTROL | windows.FILE_READ_ATTRIBUTES | windows.FILE_LIST_DIRECTORY |
	windows.FILE_TRAVERSE | windows.SYNCHRONIZE

// DirPath is the wrench directory's path as OpenDir takes it: in the form
// ExtendedPath gives, as UTF-16. problem says why path must never be
// opened, or is "". IsActive computes it once per data directory.
func DirPath(path string) (p *uint16, problem string) {
	ext, problem := ExtendedPath(path)
	if problem != "" {
		return nil, problem
	}
	p, err := windows.UTF16PtrFromString(ext)
	if err != nil {
		return nil, err.Error()
	}
	return p, ""
}

// OpenDir opens the wrench directory at path (from DirPath) as IsActive,
// List, Check and the writer all open it: without following a reparse
// point, with dirAccess. It inspects the handle, and so returns what is
// there, whatever it is, for the trust rules to judge; the caller closes
// the handle. An object that is being deleted is not there: the error is
// then ERROR_DELETE_PENDING, which IsNotExist reports.
func OpenDir(path *uint16) (windows.Handle, HandleState, error) {
	h, err := openNoFollow(path, dirAccess)
	if err != nil {
		return 0, HandleState{}, err
	}
	return inspectOpened(h)
}

// OpenFile opens the entry name of the directory dir (a handle from
// OpenDir) as every category file is opened, by IsActive, List, Check and
// the writer alike (see openBeneath), and inspects it, as OpenDir does.
func OpenFile(dir windows.Handle, name *windows.NTUnicodeString) (windows.Handle, HandleState, error) {
	h, err := openBeneath(dir, name)
	if err != nil {
		return 0, HandleState{}, err
	}
	return inspectOpened(h)
}

// inspectOpened inspects h, closing it unless it returns it.
func inspectOpened(h windows.Handle) (windows.Handle, HandleState, error) {
	st, err := inspect(h)
	if err != nil {
		windows.CloseHandle(h)
		return 0, HandleState{}, err
	}
	if st.DeletePending {
		windows.CloseHandle(h)
		return 0, HandleState{}, windows.ERROR_DELETE_PENDING
	}
	return h, st, nil
}

// CurrentUser is the string form of the SID of the user this process runs
// as: the user whose files, besides SYSTEM's and Administrators', are
// trusted.
func CurrentUser() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", err
	}
	return u.User.Sid.String(), nil
}

// openNoFollow opens path, in the form ExtendedPath gives, as it is: a
// reparse point (symbolic link, junction) is opened itself, not followed,
// and a directory opens as well as a file.
func openNoFollow(path *uint16, access uint32) (windows.Handle, error) {
	return windows.CreateFile(path, access, ShareAll, nil, windows.OPEN_EXISTING,
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
	err := windows.NtCreateFile(&h, windows.FILE_GENERIC_READ, &oa, &iosb, nil, 0, ShareAll, windows.FILE_OPEN,
		windows.FILE_OPEN_REPARSE_POINT|windows.FILE_SYNCHRONOUS_IO_NONALERT, 0, 0)
	if err != nil {
		return 0, err
	}
	return h, nil
}

// NTString is name as the NT API takes it. name is a valid category name,
// so it is short and has no NUL.
func NTString(name string) windows.NTUnicodeString {
	u := utf16.Encode([]rune(name))
	return windows.NTUnicodeString{Length: uint16(2 * len(u)), MaximumLength: uint16(2 * len(u)), Buffer: &u[0]}
}

// IsNotExist reports whether err from opening says there is nothing there
// (or nothing for much longer: a file being deleted).
func IsNotExist(err error) bool {
	switch err {
	case windows.ERROR_FILE_NOT_FOUND, windows.ERROR_PATH_NOT_FOUND, windows.ERROR_DELETE_PENDING,
		windows.STATUS_OBJECT_NAME_NOT_FOUND, windows.STATUS_OBJECT_PATH_NOT_FOUND, windows.STATUS_DELETE_PENDING:
		return true
	}
	return false
}

// ReadRules reads a category file opened with OpenFile, which its handle
// said is within trust.MaxFileSize, reading one byte past the limit so a
// file that grew since is caught: tooBig is then true and data nil.
func ReadRules(h windows.Handle) (data []byte, tooBig bool, err error) {
	return readRules(handleReader(h))
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

// ExtendedPath gives path in the \\?\ form, which Windows opens exactly as
// written: a final NUL, CON or COM1 is a file of that name rather than a
// device, and trailing dots and spaces stay. problem says why path must
// not be opened at all (it names a device, a pipe or the NT namespace
// rather than a file on a volume), or is "".
func ExtendedPath(path string) (extended, problem string) {
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
