//go:build windows

package sys

import (
	"fmt"
	"unsafe"

	"github.com/juju/errors"
	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/trust"
)

// HandleState is what one open handle says about its object.
type HandleState struct {
	// Key is the object's identity and state, to compare with the key it
	// had when it was last read or judged.
	Key           FileKey
	DeletePending bool                         // deleted, and gone once the last handle closes
	sd            *windows.SECURITY_DESCRIPTOR // nil unless the object is on a disk
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
func inspect(h windows.Handle) (HandleState, error) {
	fileType, err := windows.GetFileType(h)
	if err != nil {
		return HandleState{}, errors.Annotate(err, "cannot tell what it is")
	}
	st := HandleState{Key: FileKey{fileType: fileType}}
	if fileType != windows.FILE_TYPE_DISK {
		return st, nil // its kind alone refuses it
	}
	var basic fileBasicInfo
	if err := windows.GetFileInformationByHandleEx(h, windows.FileBasicInfo,
		(*byte)(unsafe.Pointer(&basic)), uint32(unsafe.Sizeof(basic))); err != nil {
		return HandleState{}, errors.Annotate(err, "cannot read its attributes")
	}
	var standard fileStandardInfo
	if err := windows.GetFileInformationByHandleEx(h, windows.FileStandardInfo,
		(*byte)(unsafe.Pointer(&standard)), uint32(unsafe.Sizeof(standard))); err != nil {
		return HandleState{}, errors.Annotate(err, "cannot read its size")
	}
	var index int64
	var iosb windows.IO_STATUS_BLOCK
	if err := windows.NtQueryInformationFile(h, &iosb, (*byte)(unsafe.Pointer(&index)),
		uint32(unsafe.Sizeof(index)), fileInternalInformation); err != nil {
		return HandleState{}, errors.Annotate(err, "cannot read its file number")
	}
	sd, err := windows.GetSecurityInfo(h, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return HandleState{}, errors.Annotate(err, "cannot read its security descriptor")
	}
	st.sd = sd
	st.DeletePending = standard.DeletePending
	st.Key.index = index
	st.Key.size = standard.EndOfFile
	st.Key.created = basic.CreationTime
	st.Key.written = basic.LastWriteTime
	st.Key.changed = basic.ChangeTime
	st.Key.attrs = basic.FileAttributes
	st.Key.security = string(unsafe.Slice((*byte)(unsafe.Pointer(sd)), sd.Length()))
	return st, nil
}

// Verdict says why a process running as user must not trust the object
// st describes, as a wrench directory when dir is true and as a category
// file otherwise, or "" when it may.
func (st HandleState) Verdict(dir bool, user string) string {
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
func (st HandleState) facts() (trust.ACLFacts, error) {
	f := trust.ACLFacts{Kind: st.Key.Kind(), Size: st.Key.size}
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
		if f.DACL, err = ACEsOf(dacl); err != nil {
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

// ACEsOf reads the entries of a DACL. An entry of a type it does not know
// is an error, which refuses the object: wrench cannot say who it lets in.
func ACEsOf(acl *windows.ACL) ([]trust.ACE, error) {
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
