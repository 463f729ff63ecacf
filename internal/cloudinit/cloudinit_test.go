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
    content: cmVmdXNlLXVwZ3JhZGUK
`)
}

func (s *documentSuite) TestContentTravelsExactly(c *gc.C) {
	// Bytes YAML would act on, and a line that looks like a document's
	// own keys, arrive as written: the content is base64.
	hostile := "x 2*on->1*off->repeat # $(touch /tmp/x) 'q' \"d\"\n---\nwrite_files: []\n\ttab\r\n"
	doc, err := Document(File{Path: "/d/wrench/c", Owner: "agent:agent", Content: []byte(hostile)})
	c.Assert(err, gc.IsNil)
	lines := strings.Split(strings.TrimSuffix(string(doc), "\n"), "\n")
	content := strings.TrimPrefix(lines[len(lines)-1], "    content: ")
	decoded, err := base64.StdEncoding.DecodeString(content)
	c.Assert(err, gc.IsNil)
	c.Check(string(decoded), gc.Equals, hostile)
	c.Check(strings.Contains(string(doc), `    owner: "agent:agent"`), gc.Equals, true)
}

func (s *documentSuite) TestOwners(c *gc.C) {
	for _, good := range []string{"root", "root:root", "juju", "juju:adm", "1000", "1000:1000", "svc_agent-2", "machine$"} {
		c.Check(CheckOwner(good), gc.IsNil, gc.Commentf("%q", good))
	}
	for _, bad := range []string{"", ":", "a b", "a:b:c", "Root", "-x", "a;rm", "a\nb", ":grp"} {
		c.Check(CheckOwner(bad), gc.ErrorMatches, `owner ".*" is not USER or USER:GROUP .*`, gc.Commentf("%q", bad))
	}
}

func (s *documentSuite) TestPaths(c *gc.C) {
	for _, bad := range []string{"", "var/lib/wrench/c", "/var/lib/../wrench/c", "/var/lib/wrench/c/", `C:\ProgramData\wrench\c`} {
		_, err := Document(File{Path: bad})
		c.Check(err, gc.ErrorMatches, `".*" is not an absolute, clean path on the machine .*`, gc.Commentf("%q", bad))
	}
}
