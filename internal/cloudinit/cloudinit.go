// Package cloudinit writes the #cloud-config document that arms a machine
// at its first boot: a write_files entry that puts a category file in place
// before the machine's agents start. It only writes text; what goes in the
// file is checked by the caller, as the writer checks what it writes.
package cloudinit

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/juju/errors"
)

// DefaultOwner is the owner of a file when none is given: root, whose
// files every agent trusts.
const DefaultOwner = "root:root"

// File is one category file to arm at first boot.
type File struct {
	// Path is where the file goes on the machine: an absolute, clean
	// slash-separated path.
	Path string
	// Owner is USER or USER:GROUP, names or numbers; "" means
	// DefaultOwner.
	Owner string
	// Content is the file's content, exactly.
	Content []byte
}

// ownerPattern is what a user or group may be: a name as useradd accepts
// it. Not a number: cloud-init looks owners up by name only, and a number
// fails the write at boot.
var ownerPattern = regexp.MustCompile(`^[a-z_][a-z0-9_-]*[$]?(:[a-z_][a-z0-9_-]*[$]?)?$`)

// CheckOwner says why owner cannot be a file's owner, or nil.
func CheckOwner(owner string) error {
	if !ownerPattern.MatchString(owner) {
		return errors.Errorf("owner %q is not USER or USER:GROUP (names as useradd takes them; cloud-init looks up no numbers)", owner)
	}
	return nil
}

// CheckPath says why p cannot be where a file goes on the machine, or nil.
// cloud-init runs on a unix machine, so p is a slash path whatever the
// platform this program runs on.
//
// Only printable ASCII is taken: YAML refuses control characters even
// quoted, and a document cloud-init cannot read leaves the machine unarmed
// with no error anywhere wrench could see.
func CheckPath(p string) error {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return errors.Errorf("%q is not an absolute, clean path on the machine", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			return errors.Errorf("%q holds a byte that is not printable ASCII, which cloud-init's YAML may refuse", p)
		}
	}
	return nil
}

// Document is the #cloud-config document that writes f, mode 0644, owned
// by f.Owner. The content travels base64-encoded, so no byte of it is read
// as YAML; the path and owner are JSON strings, which YAML reads as the
// same strings.
func Document(f File) ([]byte, error) {
	owner := f.Owner
	if owner == "" {
		owner = DefaultOwner
	}
	if err := CheckOwner(owner); err != nil {
		return nil, err
	}
	if err := CheckPath(f.Path); err != nil {
		return nil, err
	}
	quotedPath, _ := json.Marshal(f.Path)
	quotedOwner, _ := json.Marshal(owner)
	var b strings.Builder
	b.WriteString("#cloud-config\n")
	b.WriteString("# Written by wrench cloud-init: arms a wrench category file at first boot,\n")
	b.WriteString("# before the machine's agents start.\n")
	b.WriteString("write_files:\n")
	fmt.Fprintf(&b, "  - path: %s\n", quotedPath)
	fmt.Fprintf(&b, "    owner: %s\n", quotedOwner)
	b.WriteString("    permissions: '0644'\n")
	b.WriteString("    encoding: b64\n")
	// Quoted, so empty content is an empty string rather than null.
	fmt.Fprintf(&b, "    content: '%s'\n", base64.StdEncoding.EncodeToString(f.Content))
	return []byte(b.String()), nil
}
