package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	gc "gopkg.in/check.v1"
)

func Test(t *testing.T) { gc.TestingT(t) }

type fleetSuite struct{}

var _ = gc.Suite(&fleetSuite{})

func (*fleetSuite) TestParseTarget(c *gc.C) {
	for _, t := range []struct {
		in   string
		want Target
	}{
		{"db1", Target{Given: "db1", Destination: "db1"}},
		{"ubuntu@10.0.0.5", Target{Given: "ubuntu@10.0.0.5", Destination: "ubuntu@10.0.0.5"}},
		{"ssh://db1", Target{Given: "ssh://db1", Destination: "db1"}},
		{"ssh://db1/", Target{Given: "ssh://db1/", Destination: "db1"}},
		{"ssh://root@db1:2222/var/lib", Target{Given: "ssh://root@db1:2222/var/lib", Destination: "root@db1", Port: 2222, DataDir: "/var/lib"}},
		{"ssh://[::1]:22/srv/my%20data", Target{Given: "ssh://[::1]:22/srv/my%20data", Destination: "::1", Port: 22, DataDir: "/srv/my data"}},
	} {
		got, err := ParseTarget(t.in)
		c.Assert(err, gc.IsNil, gc.Commentf("%q", t.in))
		c.Check(got, gc.Equals, t.want)
	}
	for _, bad := range []struct{ in, err string }{
		{"", "empty target"},
		{"-oProxyCommand=x", `.*starts with "-".*`},
		{"user@-host", `.*starts with "-".*`},
		{"-user@host", `.*starts with "-".*`},
		{"ssh://-oProxyCommand=x/", `.*starts with "-".*`},
		{"host name", ".*space or control character"},
		{"host\n", ".*space or control character"},
		{"@host", ".*empty user name"},
		{"user@", ".*has no host"},
		{"host/var/lib", ".*needs the ssh://.*form"},
		{"http://host/", `.*the scheme is "http", not ssh`},
		{"ssh://host:99999/", `.*port "99999" is not a port number`},
		{"ssh://host:x/", ".*"},
		{"ssh://u:pw@host/", ".*passwords are not taken.*"},
		{"ssh://host/?q", ".*query or fragment.*"},
		{"ssh:///var/lib", ".*has no host"},
	} {
		_, err := ParseTarget(bad.in)
		c.Check(err, gc.ErrorMatches, bad.err, gc.Commentf("%q", bad.in))
	}
}

func (*fleetSuite) TestReadHosts(c *gc.C) {
	got, err := ReadHosts(strings.NewReader("# the db servers\n\ndb1\n  ssh://root@db2:2222/var/lib  \r\n\t# off: db3\ndb4"))
	c.Assert(err, gc.IsNil)
	c.Check(got, gc.DeepEquals, []string{"db1", "ssh://root@db2:2222/var/lib", "db4"})
}

func (*fleetSuite) TestParsePick(c *gc.C) {
	for _, t := range []struct {
		spec  string
		n, k  int
		error string
	}{
		{"one", 3, 1, ""},
		{"2", 3, 2, ""},
		{"3", 3, 3, ""},
		{"4", 3, 0, "cannot pick 4 of 3 targets"},
		{"34%", 3, 2, ""}, // 1.02 rounds up
		{"33%", 3, 1, ""}, // 0.99 rounds up
		{"1%", 3, 1, ""},  // at least one
		{"100%", 3, 3, ""},
		{"50%", 8, 4, ""},
		{"12.5%", 8, 1, ""},
		{"12.6%", 8, 2, ""},
		{"25%", 7, 2, ""},
	} {
		spec, err := ParsePick(t.spec)
		c.Assert(err, gc.IsNil, gc.Commentf("%s", t.spec))
		k, err := spec.Of(t.n)
		if t.error != "" {
			c.Check(err, gc.ErrorMatches, t.error)
			continue
		}
		c.Assert(err, gc.IsNil)
		c.Check(k, gc.Equals, t.k, gc.Commentf("%s of %d", t.spec, t.n))
	}
	for _, bad := range []string{"", "0", "-1", "+2", "two", "0%", "101%", "-5%", "%", "1e1%", "NaN%", "Inf%", "0x10%"} {
		_, err := ParsePick(bad)
		c.Check(err, gc.NotNil, gc.Commentf("%q", bad))
	}
}

func (*fleetSuite) TestPickIsDeterministic(c *gc.C) {
	// Pinned: a change to the generator or the shuffle would re-pick
	// every harness's "kill one of three" targets.
	c.Check(Pick(8, 3, 42), gc.DeepEquals, Pick(8, 3, 42))
	c.Check(Pick(10, 4, 1), gc.DeepEquals, []int{2, 5, 7, 8})
	seen := map[string]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		got := Pick(8, 3, seed)
		c.Assert(got, gc.HasLen, 3)
		c.Check(got[0] < got[1] && got[1] < got[2], gc.Equals, true, gc.Commentf("%v", got))
		c.Check(got[0] >= 0 && got[2] < 8, gc.Equals, true)
		seen[jsonOf(got)] = true
	}
	// Different seeds choose differently (56 ways to pick 3 of 8).
	c.Check(len(seen) > 30, gc.Equals, true, gc.Commentf("%d distinct choices", len(seen)))
	c.Check(Pick(5, 5, 9), gc.DeepEquals, []int{0, 1, 2, 3, 4})
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (*fleetSuite) TestSSHArgs(c *gc.C) {
	t, err := ParseTarget("ssh://root@db1:2222/var/lib")
	c.Assert(err, gc.IsNil)
	c.Check(sshArgs(t, []string{"ProxyJump=bastion", "BatchMode=no"}, "CMD"), gc.DeepEquals, []string{
		"-T", "-o", "BatchMode=yes", "-o", "RemoteCommand=none",
		"-o", "ProxyJump=bastion", "-o", "BatchMode=no",
		"-p", "2222", "--", "root@db1", "CMD",
	})
	t, err = ParseTarget("db2")
	c.Assert(err, gc.IsNil)
	c.Check(sshArgs(t, nil, "CMD"), gc.DeepEquals, []string{"-T", "-o", "BatchMode=yes", "-o", "RemoteCommand=none", "--", "db2", "CMD"})
}

// TestRemoteCommandsHoldNoUserData: the remote command lines are fixed
// text around the digest: no quotes, nothing from the request.
func (*fleetSuite) TestRemoteCommandsHoldNoUserData(c *gc.C) {
	b := &Binary{Digest: strings.Repeat("0123456789abcdef", 4), GOOS: "linux", GOARCH: "amd64"}
	for _, cmd := range []string{runCommand(b, false), runCommand(b, true), installCommand(b), remoteWrenchCommand("~/bin/wrench", true)} {
		c.Check(strings.ContainsAny(cmd, `'"\`+"`\n"), gc.Equals, false, gc.Commentf("%s", cmd))
	}
	c.Check(runCommand(b, false), gc.Equals, "cd .cache/wrench/0123456789abcdef 2>/dev/null && set -- $(sha256sum <wrench 2>/dev/null || shasum -a 256 <wrench 2>/dev/null || sha256 -q <wrench 2>/dev/null) && test x$1 = x"+b.Digest+" && exec ./wrench __fleet; uname -s; uname -m; exit 97")
	c.Check(runCommand(b, true), gc.Matches, `.* && exec sudo -n \./wrench __fleet; .*`)
	c.Check(remoteWrenchCommand("/usr/bin/wrench", false), gc.Equals, "exec /usr/bin/wrench __fleet")

	for _, ok := range []string{"/usr/local/bin/wrench", "~/bin/wrench", "~ci/wrench-1.2+x", "bin/wrench"} {
		c.Check(CheckRemoteWrench(ok), gc.IsNil, gc.Commentf("%q", ok))
	}
	for _, bad := range []string{"", "-x", "/opt/my wrench", "/x;id", "$(id)", "/x'y", "/a\nb", "`id`", "/a*"} {
		c.Check(CheckRemoteWrench(bad), gc.NotNil, gc.Commentf("%q", bad))
	}
	for _, bad := range []string{"", "=x", "novalue", "-oX=y", "1x=y"} {
		c.Check(CheckSSHOption(bad), gc.NotNil, gc.Commentf("%q", bad))
	}
	c.Check(CheckSSHOption("ProxyCommand=nc %h %p"), gc.IsNil)
}

func (*fleetSuite) TestCheckPlatform(c *gc.C) {
	b := &Binary{Digest: strings.Repeat("0", 64), GOOS: "linux", GOARCH: "amd64"}
	c.Check(b.checkPlatform("Linux\nx86_64\n"), gc.IsNil)
	c.Check(b.checkPlatform("Linux\naarch64\n"), gc.ErrorMatches, `the target is Linux aarch64 and this wrench is built for linux/amd64, so it cannot be copied there: install a wrench built for linux/arm64 on the target and give its path with --remote-wrench`)
	c.Check(b.checkPlatform("Plan9\nmips\n"), gc.ErrorMatches, `.*install a wrench for Plan9 mips on the target.*`)
	c.Check(b.checkPlatform(""), gc.ErrorMatches, `cannot tell the target's platform.*`)
}

// hostile holds every byte value, newlines, quotes, shell syntax and
// invalid UTF-8.
func hostile() []byte {
	b := []byte("2*on->1*off->repeat $(touch x) `id` 'q' \"qq\" # ; | > < & * ( ) \\ \n\r\t\x00\xff\xfe")
	for i := 0; i < 256; i++ {
		b = append(b, byte(i))
	}
	return b
}

func (*fleetSuite) TestRequestRoundTripIsByteExact(c *gc.C) {
	args := []string{"set", "--", "-odd", string(hostile()), ""}
	req := NewRequest(args, "/srv/da ta\n", hostile())
	var wire bytes.Buffer
	c.Assert(req.Encode(&wire), gc.IsNil)
	c.Check(bytes.Count(wire.Bytes(), []byte("\n")), gc.Equals, 1)
	wire.WriteString("what follows is not read\n")
	in := bufio.NewReader(&wire)
	got, err := DecodeRequest(in)
	c.Assert(err, gc.IsNil)
	c.Check(got.CommandLine(), gc.DeepEquals, append([]string{"--datadir=/srv/da ta\n"}, args...))
	c.Check(got.Stdin, gc.DeepEquals, hostile())
	rest, _ := io.ReadAll(in)
	c.Check(string(rest), gc.Equals, "what follows is not read\n")

	// No data directory: none is passed, and the remote default holds.
	c.Check(NewRequest([]string{"list"}, "", nil).CommandLine(), gc.DeepEquals, []string{"list"})
}

func (*fleetSuite) TestDecodeRequestRefuses(c *gc.C) {
	for _, t := range []struct{ in, err string }{
		{"", "reading the request: EOF"},
		{`{"version":1,"args":["bGlzdA=="]}`, "reading the request: it ends before its newline"},
		{`{"version":2,"args":["bGlzdA=="]}` + "\n", "the request is protocol version 2; this wrench speaks version 1"},
		{`{"version":1,"args":[]}` + "\n", "the request names no subcommand"},
		{"not json\n", "reading the request: .*"},
	} {
		_, err := DecodeRequest(bufio.NewReader(strings.NewReader(t.in)))
		c.Check(err, gc.ErrorMatches, t.err, gc.Commentf("%q", t.in))
	}
	_, err := DecodeRequest(bufio.NewReader(strings.NewReader(strings.Repeat("x", MaxRequestSize+10))))
	c.Check(err, gc.ErrorMatches, "reading the request: longer than .*")
}

func (*fleetSuite) TestFindResponse(c *gc.C) {
	resp := &Response{Version: ProtocolVersion, ExitCode: 1, Stdout: hostile(), Stderr: []byte("wrench: set: bad\n")}
	var out bytes.Buffer
	out.WriteString("Welcome to db1!\n" + responseMark + "{not json}\n")
	c.Assert(resp.Encode(&out), gc.IsNil)
	got, ok := FindResponse(out.Bytes())
	c.Assert(ok, gc.Equals, true)
	c.Check(got, gc.DeepEquals, resp)
	_, ok = FindResponse([]byte("Linux\nx86_64\n"))
	c.Check(ok, gc.Equals, false)
}

func (*fleetSuite) TestServe(c *gc.C) {
	var ran []string
	var ranStdin []byte
	run := func(args []string, stdin io.Reader, stdout, stderr io.Writer) Ran {
		ran = args
		ranStdin, _ = io.ReadAll(stdin)
		stdout.Write([]byte("out\n"))
		stderr.Write([]byte("wrench: hint: h\nwrench: apply: nope\n"))
		return Ran{ExitCode: 1, Error: "apply: nope", Wrote: NoWrite}
	}
	pr, pw := io.Pipe()
	gone := make(chan struct{})
	var out bytes.Buffer
	go func() {
		NewRequest([]string{"apply", "c"}, "/d", hostile()).Encode(pw)
	}()
	code := Serve(pr, &out, run, func() { close(gone) })
	c.Check(code, gc.Equals, 1)
	c.Check(ran, gc.DeepEquals, []string{"--datadir=/d", "apply", "c"})
	c.Check(ranStdin, gc.DeepEquals, hostile())
	resp, ok := FindResponse(out.Bytes())
	c.Assert(ok, gc.Equals, true)
	c.Check(resp, gc.DeepEquals, &Response{
		Version: 1, ExitCode: 1, Stdout: []byte("out\n"), Stderr: []byte("wrench: hint: h\nwrench: apply: nope\n"),
		Error: "apply: nope", Wrote: NoWrite,
	})

	// The local side is gone when its end of stdin closes.
	select {
	case <-gone:
		c.Fatalf("gone before the input ended")
	default:
	}
	pw.Close()
	<-gone

	// A bad request is answered, not run.
	ran = nil
	out.Reset()
	c.Check(Serve(strings.NewReader("junk\n"), &out, run, func() {}), gc.Equals, 1)
	c.Check(ran, gc.IsNil)
	resp, ok = FindResponse(out.Bytes())
	c.Assert(ok, gc.Equals, true)
	c.Check(string(resp.Stderr), gc.Matches, "wrench: reading the request: .*\n")
	c.Check(resp.Error, gc.Matches, "reading the request: .*")
	c.Check(resp.Wrote, gc.Equals, NoWrite)
}

func result(given string, o Outcome) Result {
	return Result{Target: Target{Given: given}, Outcome: o}
}

func (*fleetSuite) TestExitCode(c *gc.C) {
	for _, t := range []struct {
		outcomes []Outcome
		any      bool
		want     int
	}{
		{[]Outcome{OK, OK}, false, 0},
		{[]Outcome{OK, Failed}, false, 1},
		{[]Outcome{Failed, Failed}, false, 1},
		{[]Outcome{OK, Unreachable}, false, 3},
		{[]Outcome{Failed, Unreachable, OK}, false, 3},
		{[]Outcome{Unreachable, Failed}, false, 3},
		{[]Outcome{Stopped, OK, Stopped}, true, 0},
		{[]Outcome{Unreachable, OK}, true, 0},
		{[]Outcome{Failed, Failed}, true, 1},
		{[]Outcome{Failed, Unreachable}, true, 3},
		{[]Outcome{Unreachable, Failed, OK, Stopped}, true, 0},
		{[]Outcome{Unreachable, Stopped}, true, 3},
		{[]Outcome{Failed, Stopped}, true, 1},
	} {
		var rs []Result
		for _, o := range t.outcomes {
			rs = append(rs, result("h", o))
		}
		c.Check(ExitCode(rs, t.any), gc.Equals, t.want, gc.Commentf("%v any=%v", t.outcomes, t.any))
	}
}

func (*fleetSuite) TestWriteText(c *gc.C) {
	ok := result("ssh://db1/var/lib", OK)
	ok.Response = &Response{Stdout: []byte("agent (/var/lib/wrench/agent)\n  f  on\n"), Stderr: []byte("wrench: hint: x\n")}
	failed := result("db2", Failed)
	failed.Reason = "set: bad trigger"
	failed.Response = &Response{ExitCode: 1, Stderr: []byte("wrench: set: bad trigger\nmore\n")}
	down := result("db3", Unreachable)
	down.Reason = "ssh: connect to host db3 port 22: Connection refused"
	forged := result("db4", OK)
	forged.Response = &Response{Stdout: []byte("fine\ndb1: failed\x1b[2K: forged\n")}
	var out bytes.Buffer
	c.Assert(WriteText(&out, []Result{ok, failed, down, forged}), gc.IsNil)
	c.Check(out.String(), gc.Equals, `ssh://db1/var/lib: ok
  agent (/var/lib/wrench/agent)
    f  on
  wrench: hint: x
db2: failed: set: bad trigger
  more
db3: unreachable: ssh: connect to host db3 port 22: Connection refused
db4: ok
  fine
  "db1: failed\x1b[2K: forged"
`)
}

func (*fleetSuite) TestWriteJSON(c *gc.C) {
	ok := result("db1", OK)
	ok.Response = &Response{Stdout: []byte(`[{"category":"c"}]` + "\n")}
	ok.Copied = true
	down := result("db2", Unreachable)
	down.Reason = "timed out after 30s"
	var out bytes.Buffer
	c.Assert(WriteJSON(&out, []Result{ok, down}, true, false), gc.IsNil)
	var got []map[string]any
	c.Assert(json.Unmarshal(out.Bytes(), &got), gc.IsNil)
	c.Check(got, gc.DeepEquals, []map[string]any{{
		"target": "db1", "outcome": "ok", "reason": "", "exit_code": float64(0),
		"stdout": `[{"category":"c"}]` + "\n", "stderr": "",
		"result": []any{map[string]any{"category": "c"}}, "copied": true, "changed": nil,
	}, {
		"target": "db2", "outcome": "unreachable", "reason": "timed out after 30s", "exit_code": nil,
		"stdout": nil, "stderr": nil, "result": nil, "copied": false, "changed": nil,
	}})

	// For a command that writes, changed is what Changes says of each.
	failed := result("db3", Failed)
	failed.Response = &Response{ExitCode: 1, Wrote: Wrote}
	refused := result("db4", Failed)
	refused.Response = &Response{ExitCode: 1, Wrote: NoWrite}
	out.Reset()
	c.Assert(WriteJSON(&out, []Result{ok, down, failed, refused}, false, true), gc.IsNil)
	got = nil
	c.Assert(json.Unmarshal(out.Bytes(), &got), gc.IsNil)
	var changed []any
	for _, g := range got {
		changed = append(changed, g["changed"])
	}
	c.Check(changed, gc.DeepEquals, []any{true, nil, true, false})
}

func (*fleetSuite) TestFailureReason(c *gc.C) {
	for _, t := range []struct {
		resp Response
		want string
	}{
		// The error, sent apart: a warning before it is not the reason.
		{Response{ExitCode: 1, Stderr: []byte("wrench: set: warning: no live process reading c has asked for f\nwrench: set: bad trigger\n"), Error: "set: bad trigger"}, "set: bad trigger"},
		// A wrench that does not send it: its last line that is not a
		// hint or a warning.
		{Response{ExitCode: 1, Stderr: []byte("wrench: hint: data directory /x/wrench looks like ...\nwrench: set: warning: no live process ...\nwrench: set: bad trigger\n")}, "set: bad trigger"},
		{Response{ExitCode: 1, Stderr: []byte("wrench: clear: 2 entries not cleared: a; b\n")}, "clear: 2 entries not cleared: a; b"},
		{Response{ExitCode: 1, Stderr: []byte("wrench: hint: only a hint\n")}, "exit status 1"},
		{Response{ExitCode: 2}, "exit status 2"},
	} {
		c.Check(failureReason(&t.resp), gc.Equals, t.want, gc.Commentf("%q", t.resp.Stderr))
	}
}

// TestWriteTextWithAWarning: a failed target's reason is its error, and
// the warning printed before it is shown under it, the error not twice.
func (*fleetSuite) TestWriteTextWithAWarning(c *gc.C) {
	failed := result("db1", Failed)
	failed.Reason = "set: bad trigger"
	failed.Response = &Response{ExitCode: 1, Stderr: []byte("wrench: set: warning: nobody asked\nwrench: set: bad trigger\n"), Error: "set: bad trigger"}
	var out bytes.Buffer
	c.Assert(WriteText(&out, []Result{failed}), gc.IsNil)
	c.Check(out.String(), gc.Equals, "db1: failed: set: bad trigger\n  wrench: set: warning: nobody asked\n")
}

func (*fleetSuite) TestChanges(c *gc.C) {
	c.Check(Changes([]Result{result("a", OK), result("b", Failed), result("c", OK), result("d", Unreachable)}), gc.Equals,
		"changed 2 of 4 targets: a c; failed, not changed: b; not known, run again there: d")
	c.Check(Changes([]Result{result("a", Failed)}), gc.Equals, "changed 0 of 1 targets; failed, not changed: a")

	// What a failed target's wrench says it did decides.
	with := func(given string, o Outcome, w Write) Result {
		r := result(given, o)
		r.Response = &Response{ExitCode: 1, Wrote: w}
		return r
	}
	unanswered := result("e", Failed)
	unanswered.Unanswered = true
	c.Check(Changes([]Result{
		result("a", OK),
		with("b", Failed, Wrote),        // set --wait timed out, clear removed some
		with("c", Failed, NoWrite),      // a bad trigger
		result("d", Failed),             // never ran: no wrench for its platform
		unanswered,                      // wrench may have started, and said nothing
		with("f", Failed, WriteUnknown), // a wrench that does not say
		result("g", Unreachable),
		result("h", Stopped),
	}), gc.Equals, "changed 2 of 8 targets: a b; failed, not changed: c d; not known, run again there: e f g h")
}
