package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	gc "gopkg.in/check.v1"
)

// fakeHost is one target of fakeSSH: what its "ssh" does.
type fakeHost struct {
	name   string
	after  string    // wait until this host has finished first, if not ""
	resp   *Response // the answer it prints, if any
	stderr string
	exit   int
	hang   bool // after answering, hang until killed (ssh not closing)
}

// fakeSSH writes a stand-in for ssh that plays hosts by destination,
// and returns its path. Each host marks that it has finished (answered,
// or failed) with a file NAME.done, which another host may wait for:
// the order of events is set by conditions, not by sleeping.
func fakeSSH(c *gc.C, hosts ...fakeHost) string {
	if runtime.GOOS == "windows" {
		c.Skip("the stand-in for ssh is a shell script")
	}
	dir := c.MkDir()
	for _, h := range hosts {
		write := func(suffix, text string) {
			c.Assert(os.WriteFile(filepath.Join(dir, h.name+suffix), []byte(text), 0o644), gc.IsNil)
		}
		if h.after != "" {
			write(".after", h.after)
		}
		if h.resp != nil {
			var b bytes.Buffer
			c.Assert(h.resp.Encode(&b), gc.IsNil)
			write(".resp", b.String())
		}
		if h.hang {
			write(".hang", "")
		}
		write(".err", h.stderr)
		write(".exit", strconv.Itoa(h.exit))
	}
	script := `#!/bin/sh
while [ "$1" != "--" ]; do shift; done
h=` + dir + `/$2
if [ -e "$h.after" ]; then
	until [ -e "` + dir + `/$(cat "$h.after").done" ]; do sleep 0.01; done
fi
[ -e "$h.resp" ] && cat "$h.resp"
cat "$h.err" >&2
: >"$h.done"
[ -e "$h.hang" ] && exec sleep 600
exit $(cat "$h.exit")
`
	path := filepath.Join(dir, "ssh")
	c.Assert(os.WriteFile(path, []byte(script), 0o755), gc.IsNil)
	return path
}

func targets(names ...string) []Target {
	var ts []Target
	for _, n := range names {
		ts = append(ts, Target{Given: n, Destination: n})
	}
	return ts
}

func anyRequest(Target) *Request {
	return NewRequest([]string{"wait", "c", "f", "--paused", "1"}, "", nil)
}

func outcomes(results []Result) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Target.Given+" "+string(r.Outcome)+" "+r.Reason)
	}
	return out
}

// TestAnswerBeforeTheDeadlineCounts: a target whose wrench answered
// (and may have written) is reported as it answered, even when ssh was
// still closing when its time ran out.
func (*fleetSuite) TestAnswerBeforeTheDeadlineCounts(c *gc.C) {
	ssh := fakeSSH(c,
		fakeHost{name: "answered", resp: &Response{Version: ProtocolVersion, Wrote: Wrote}, hang: true},
		fakeHost{name: "failed", resp: &Response{Version: ProtocolVersion, ExitCode: 1, Error: "set: written, but ...: the write stands", Wrote: Wrote}, hang: true},
		fakeHost{name: "silent", hang: true},
	)
	opts := Options{SSH: ssh, RemoteWrench: "wrench", Parallel: 3, Timeout: time.Second}
	results := Run(context.Background(), targets("answered", "failed", "silent"), anyRequest, opts)
	c.Check(outcomes(results), gc.DeepEquals, []string{
		"answered ok ",
		"failed failed set: written, but ...: the write stands",
		"silent unreachable timed out after 1s",
	})
	c.Check(Changes(results), gc.Equals, "changed 2 of 3 targets: answered failed; not known, run again there: silent")
}

// TestAnyWaitWinsOverQuickFailures: under --any, targets that fail
// quickly neither end the run nor decide its exit status; the target
// that then succeeds does. One that answered while --any stopped it is
// reported as it answered, not as stopped.
func (*fleetSuite) TestAnyWaitWinsOverQuickFailures(c *gc.C) {
	// Each waits for the one before it: the failures come first, then
	// one that answers as the winner wins, and the last still waits.
	ssh := fakeSSH(c,
		fakeHost{name: "down", stderr: "ssh: connect to host down port 22: Connection refused\n", exit: 255},
		fakeHost{name: "failed", after: "down", resp: &Response{Version: ProtocolVersion, ExitCode: 1, Error: "wait: no such rule"}, exit: 1},
		fakeHost{name: "answered", after: "failed", resp: &Response{Version: ProtocolVersion, ExitCode: 1, Error: "wait: timed out"}, hang: true},
		fakeHost{name: "winner", after: "answered", resp: &Response{Version: ProtocolVersion}},
		fakeHost{name: "waiting", hang: true},
	)
	opts := Options{SSH: ssh, RemoteWrench: "wrench", Parallel: 5, Timeout: time.Hour, Any: true}
	results := Run(context.Background(), targets("down", "failed", "answered", "winner", "waiting"), anyRequest, opts)
	c.Check(outcomes(results), gc.DeepEquals, []string{
		"down unreachable ssh: connect to host down port 22: Connection refused",
		"failed failed wait: no such rule",
		"answered failed wait: timed out",
		"winner ok ",
		"waiting stopped another target met the condition first",
	})
	c.Check(ExitCode(results, true), gc.Equals, ExitOK)
	c.Check(ExitCode(results, false), gc.Equals, ExitUnreachable)
}

// TestRunCommandFindsADigester runs the remote command line in a shell
// whose PATH has only one of the three sha256 tools, as on Linux, macOS
// and the BSDs: each finds the cached binary good and runs it; with
// none, the command asks for a copy.
func (*fleetSuite) TestRunCommandFindsADigester(c *gc.C) {
	if runtime.GOOS == "windows" {
		c.Skip("the remote command line is for a POSIX shell")
	}
	sh, err := exec.LookPath("sh")
	c.Assert(err, gc.IsNil)
	sha256sum, err := exec.LookPath("sha256sum")
	if err != nil {
		c.Skip("no sha256sum here to stand in for the others")
	}
	uname, err := exec.LookPath("uname")
	c.Assert(err, gc.IsNil)

	home := c.MkDir()
	wrench := []byte("#!" + sh + "\necho ran \"$@\"\n")
	sum := sha256.Sum256(wrench)
	b := &Binary{Digest: hex.EncodeToString(sum[:]), GOOS: "linux", GOARCH: "amd64"}
	cache := filepath.Join(home, b.CacheDir())
	c.Assert(os.MkdirAll(cache, 0o700), gc.IsNil)
	c.Assert(os.WriteFile(filepath.Join(cache, "wrench"), wrench, 0o700), gc.IsNil)

	// Each stand-in prints what its original prints: the digest first.
	tools := map[string]string{
		"sha256sum": `exec ` + sha256sum,
		"shasum":    `[ "$1 $2" = "-a 256" ] || exit 1; ` + sha256sum + ` | sed 's/ .*/  -/'`,
		"sha256":    `[ "$1" = "-q" ] || exit 1; ` + sha256sum + ` | sed 's/ .*//'`,
	}
	for _, tool := range []string{"sha256sum", "shasum", "sha256", ""} {
		bin := c.MkDir()
		link := func(name, target string) { c.Assert(os.Symlink(target, filepath.Join(bin, name)), gc.IsNil) }
		link("uname", uname)
		if tool != "" {
			sed, err := exec.LookPath("sed")
			c.Assert(err, gc.IsNil)
			link("sed", sed)
			c.Assert(os.WriteFile(filepath.Join(bin, tool), []byte("#!"+sh+"\n"+tools[tool]+"\n"), 0o755), gc.IsNil)
		}
		cmd := exec.Command(sh, "-c", runCommand(b, false))
		cmd.Dir = home
		cmd.Env = []string{"PATH=" + bin, "HOME=" + home}
		out, err := cmd.CombinedOutput()
		if tool == "" {
			c.Check(err, gc.ErrorMatches, "exit status 97", gc.Commentf("%s", out))
			c.Check(strings.Fields(string(out)), gc.HasLen, 2, gc.Commentf("uname -s and -m only: %q", out))
			continue
		}
		c.Check(err, gc.IsNil, gc.Commentf("%s: %s", tool, out))
		c.Check(string(out), gc.Equals, "ran "+ServeArg+"\n", gc.Commentf("%s", tool))
	}
}
