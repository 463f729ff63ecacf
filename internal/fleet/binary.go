package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/juju/errors"
)

// Binary is the wrench executable that the run copies to targets that
// lack it.
type Binary struct {
	Path   string // where it is here
	Digest string // its sha256, in hex
	GOOS   string // the platform it runs on, as Go names it
	GOARCH string
}

// OpenBinary hashes the executable at path, built for goos/goarch.
//
// A version string does not name a binary: every untagged build says
// "(devel)", and two builds of one tag differ with the toolchain. The
// digest does, so the cache on a target is keyed by it, and two
// different builds never share a cache entry.
func OpenBinary(path, goos, goarch string) (*Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Annotate(err, "reading this wrench's own executable to copy it")
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, errors.Annotate(err, "reading this wrench's own executable to copy it")
	}
	return &Binary{Path: path, Digest: hex.EncodeToString(h.Sum(nil)), GOOS: goos, GOARCH: goarch}, nil
}

// CacheDir is where the binary lives on a target, relative to the
// login's home directory (where ssh starts a command): one directory per
// digest, mode 0700, so builds never overwrite each other and no other
// user can reach them.
func (b *Binary) CacheDir() string {
	return ".cache/wrench/" + b.Digest[:16]
}

// platform names a target's platform from "uname -s" and "uname -m" the
// way Go does, or returns ok false for one it does not know.
func platform(kernel, machine string) (goos, goarch string, ok bool) {
	goos, ok = map[string]string{
		"Linux":     "linux",
		"Darwin":    "darwin",
		"FreeBSD":   "freebsd",
		"OpenBSD":   "openbsd",
		"NetBSD":    "netbsd",
		"DragonFly": "dragonfly",
		"SunOS":     "solaris",
	}[kernel]
	if !ok {
		return "", "", false
	}
	goarch, ok = map[string]string{
		"x86_64":  "amd64",
		"amd64":   "amd64",
		"aarch64": "arm64",
		"arm64":   "arm64",
		"i386":    "386",
		"i486":    "386",
		"i586":    "386",
		"i686":    "386",
		"armv6l":  "arm",
		"armv7l":  "arm",
		"armv8l":  "arm",
		"riscv64": "riscv64",
		"ppc64le": "ppc64le",
		"ppc64":   "ppc64",
		"s390x":   "s390x",
		"mips64":  "mips64",
		"loong64": "loong64",
	}[machine]
	return goos, goarch, ok
}

// checkPlatform says whether the binary runs on a target whose uname
// printed unameOut ("uname -s" and "uname -m", one a line), and if not,
// what the user should install there instead.
func (b *Binary) checkPlatform(unameOut string) error {
	fields := strings.Fields(unameOut)
	if len(fields) < 2 {
		return errors.Errorf("cannot tell the target's platform: uname said %q", unameOut)
	}
	kernel, machine := fields[len(fields)-2], fields[len(fields)-1]
	goos, goarch, ok := platform(kernel, machine)
	if ok && goos == b.GOOS && goarch == b.GOARCH {
		return nil
	}
	want := "a wrench for " + kernel + " " + machine
	if ok {
		want = fmt.Sprintf("a wrench built for %s/%s", goos, goarch)
	}
	return errors.Errorf("the target is %s %s and this wrench is built for %s/%s, so it cannot be copied there: install %s on the target and give its path with --remote-wrench", kernel, machine, b.GOOS, b.GOARCH, want)
}
