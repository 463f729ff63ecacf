package cloudinit

import (
	"encoding/base64"
	"strings"
	"testing"

	gc "gopkg.in/check.v1"
)

func Test(t *testing.T) { gc.TestingT(t) }

type documentSuite struct{}

var _ = gc.Suite(&documentSuite{})

func (s *documentSuite) TestDocument(c *gc.C) {
	doc, err := Document(File{Path: "/var/lib/wrench/machine-agent", Content: []byte("refuse-upgrade\n")})
	c.Assert(err, gc.IsNil)
	c.Check(string(doc), gc.Equals, `#cloud-config
# Written by wrench cloud-init: arms a wrench category file at first boot,
# before the machine's agents start.
write_files:
  - path: "/var/lib/wrench/machine-agent"
    owner: "root:root"
    permissions: '0644'
    encoding: b64
    content: 'cmVmdXNlLXVwZ3JhZGUK'
`)
}

func (s *documentSuite) TestContentTravelsExactly(c *gc.C) {
	// Bytes YAML would act on, and a line that looks like a document's
	// own keys, arrive as written: the content is base64.
	hostile := "x 2*on->1*off->repeat # $(touch /tmp/x) 'q' \"d\"\n---\nwrite_files: []\n\ttab\r\n"
	doc, err := Document(File{Path: "/d/wrench/c", Owner: "agent:agent", Content: []byte(hostile)})
	c.Assert(err, gc.IsNil)
	lines := strings.Split(strings.TrimSuffix(string(doc), "\n"), "\n")
	content := strings.Trim(strings.TrimPrefix(lines[len(lines)-1], "    content: "), "'")
	decoded, err := base64.StdEncoding.DecodeString(content)
	c.Assert(err, gc.IsNil)
	c.Check(string(decoded), gc.Equals, hostile)
	c.Check(strings.Contains(string(doc), `    owner: "agent:agent"`), gc.Equals, true)
}

func (s *documentSuite) TestOwners(c *gc.C) {
	for _, good := range []string{"root", "root:root", "juju", "juju:adm", "nobody:nogroup", "svc_agent-2", "machine$"} {
		c.Check(CheckOwner(good), gc.IsNil, gc.Commentf("%q", good))
	}
	// Numbers too: cloud-init looks owners up by name, and fails the
	// write at boot for a number.
	for _, bad := range []string{"", ":", "a b", "a:b:c", "Root", "-x", "a;rm", "a\nb", ":grp", "1000", "1000:1000", "juju:4"} {
		c.Check(CheckOwner(bad), gc.ErrorMatches, `(?s)owner ".*" is not USER or USER:GROUP .*`, gc.Commentf("%q", bad))
	}
}

func (s *documentSuite) TestPaths(c *gc.C) {
	for _, bad := range []string{"", "var/lib/wrench/c", "/var/lib/../wrench/c", "/var/lib/wrench/c/", `C:\ProgramData\wrench\c`} {
		_, err := Document(File{Path: bad})
		c.Check(err, gc.ErrorMatches, `".*" is not an absolute, clean path on the machine`, gc.Commentf("%q", bad))
	}
	// YAML refuses control characters even quoted (DEL, C1), and bytes
	// that are not UTF-8 would be changed on the way.
	for _, bad := range []string{"/var/a\x7fb", "/var/a\u009bb", "/var/a\xffb", "/var/a\tb", "/var/caf\u00e9"} {
		_, err := Document(File{Path: bad})
		c.Check(err, gc.ErrorMatches, `".*" holds a byte that is not printable ASCII, which cloud-init's YAML may refuse`, gc.Commentf("%q", bad))
	}
	_, err := Document(File{Path: "/srv/my data/wrench/c"})
	c.Check(err, gc.IsNil)
}

func (s *documentSuite) TestEmptyContentIsAString(c *gc.C) {
	// Unquoted, an empty value would be YAML's null, which cloud-init's
	// schema refuses.
	doc, err := Document(File{Path: "/var/lib/wrench/c"})
	c.Assert(err, gc.IsNil)
	c.Check(strings.HasSuffix(string(doc), "\n    content: ''\n"), gc.Equals, true, gc.Commentf("%s", doc))
}
