package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench/internal/live"
)

// remoteRequest is a fleet request as the local side sends it to
// "wrench __fleet": byte strings in base64 (encoding/json's []byte).
type remoteRequest struct {
	Version int      `json:"version"`
	Args    [][]byte `json:"args"`
	DataDir []byte   `json:"datadir"`
	Stdin   []byte   `json:"stdin"`
}

type remoteResponse struct {
	Version  int    `json:"version"`
	ExitCode int    `json:"exit_code"`
	Stdout   []byte `json:"stdout"`
	Stderr   []byte `json:"stderr"`
	Error    string `json:"error"`
	Wrote    string `json:"wrote"`
}

// serve runs "wrench __fleet" with a request for args, as a target does.
func (s *cmdSuite) serve(c *gc.C, stdin string, args ...string) remoteResponse {
	req := remoteRequest{Version: 1, DataDir: []byte(s.dataDir), Stdin: []byte(stdin)}
	for _, a := range args {
		req.Args = append(req.Args, []byte(a))
	}
	line, err := json.Marshal(req)
	c.Assert(err, gc.IsNil)
	r := s.runRemote(c, string(line)+"\n")
	mark := "wrench-fleet-response "
	c.Assert(strings.HasPrefix(r.stdout, mark), gc.Equals, true, gc.Commentf("%+v", r))
	var resp remoteResponse
	c.Assert(json.Unmarshal([]byte(strings.TrimPrefix(r.stdout, mark)), &resp), gc.IsNil)
	c.Check(resp.Version, gc.Equals, 1)
	return resp
}

// TestRemoteEnd: the hidden remote mode runs the request's command line
// byte for byte, with its stdin and data directory, and answers with what
// the command printed and its exit status.
func (s *cmdSuite) TestRemoteEnd(c *gc.C) {
	hostile := `f'"$(touch${IFS}x)` + "`id`;|&*()#\\"
	resp := s.serve(c, "", "set", "--", "agent", hostile, "2*on->1*off->repeat")
	c.Check(resp.ExitCode, gc.Equals, 0, gc.Commentf("%s", resp.Stderr))
	c.Check(s.content(c, "agent"), gc.Equals, hostile+" 2*on->1*off->repeat\n")

	rules := "# $(x) 'y'\r\nrun-hook 2*on->1*off->repeat\n"
	resp = s.serve(c, rules, "apply", "unit")
	c.Check(resp.ExitCode, gc.Equals, 0, gc.Commentf("%s", resp.Stderr))
	c.Check(s.content(c, "unit"), gc.Equals, rules)

	resp = s.serve(c, "", "list", "--json", "unit")
	c.Check(resp.ExitCode, gc.Equals, 0)
	var files []struct{ Category, Path string }
	c.Assert(json.Unmarshal(resp.Stdout, &files), gc.IsNil)
	c.Check(files, gc.DeepEquals, []struct{ Category, Path string }{{"unit", filepath.Join(s.dir, "unit")}})

	resp = s.serve(c, "", "set", "agent", "f", "bad(")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(string(resp.Stderr), gc.Matches, `wrench: set: .*"bad\(".*\n`)

	// A target never runs on further targets.
	resp = s.serve(c, "", "--host", "db1", "list")
	c.Check(resp.ExitCode, gc.Equals, 2)
	c.Check(string(resp.Stderr), gc.Matches, `wrench: list: --host and --hosts are not taken on a target .*\n`)

	// A request of another protocol version is refused, not guessed at.
	r := s.runRemote(c, `{"version":2,"args":["bGlzdA=="]}`+"\n")
	c.Check(r.stdout, gc.Matches, `wrench-fleet-response \{.*"exit_code":1,.*\}\n`)
}

// runRemote runs "wrench __fleet" with request on its stdin, which stays
// open until the command exits, as ssh's does: its end would mean the
// local side is gone.
func (s *cmdSuite) runRemote(c *gc.C, request string) result {
	return runCommand(c, s.bin, []string{"__fleet"}, func(cmd *exec.Cmd) {
		stdin, err := cmd.StdinPipe()
		c.Assert(err, gc.IsNil)
		go stdin.Write([]byte(request))
	})
}

// TestRemoteEndSaysWhatItWrote: the remote end reports whether the write
// stands, whatever its exit status, so that the local side can say
// exactly which targets changed; and its error apart from the rest of
// stderr, so that a warning printed first is not taken for it.
func (s *cmdSuite) TestRemoteEndSaysWhatItWrote(c *gc.C) {
	resp := s.serve(c, "", "set", "agent", "f", "on")
	c.Check(resp.ExitCode, gc.Equals, 0, gc.Commentf("%s", resp.Stderr))
	c.Check(resp.Wrote, gc.Equals, "wrote")
	c.Check(resp.Error, gc.Equals, "")

	resp = s.serve(c, "", "set", "agent", "f", "bad(")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(resp.Wrote, gc.Equals, "none")
	c.Check(resp.Error, gc.Matches, `set: .*"bad\(".*`)
	c.Check(strings.Contains(string(resp.Stderr), "wrench: "+resp.Error+"\n"), gc.Equals, true, gc.Commentf("%s", resp.Stderr))

	resp = s.serve(c, "", "set", "agent")
	c.Check(resp.ExitCode, gc.Equals, 2)
	c.Check(resp.Wrote, gc.Equals, "none")

	// A live process reads agent and has asked for f only: setting g
	// warns on stderr, and the error is still the reason.
	s.forge(c, false, live.Category{Name: "agent", Version: "old", Rules: []live.Rule{{Feature: "f", Evaluated: 1}}})
	resp = s.serve(c, "", "set", "agent", "g", "bad(")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(resp.Error, gc.Matches, `set: .*"bad\(".*`)
	c.Check(resp.Wrote, gc.Equals, "none")

	// --wait that times out: exit 1, and the write stands.
	resp = s.serve(c, "", "set", "agent", "f", "pause", "--wait=100ms")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(resp.Error, gc.Matches, `set: written, but .*: the write stands`)
	c.Check(resp.Wrote, gc.Equals, "wrote")
	c.Check(s.content(c, "agent"), gc.Equals, "f pause\n")

	// A clear that removes a file and then fails on a directory has
	// changed the target; once nothing is left to remove, it has not.
	c.Assert(os.Mkdir(filepath.Join(s.dir, "blocker"), 0o755), gc.IsNil)
	resp = s.serve(c, "", "clear")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(resp.Error, gc.Matches, `clear: .*blocker.*`)
	c.Check(resp.Wrote, gc.Equals, "wrote")
	c.Check(s.content(c, "agent"), gc.Equals, "<none>")
	resp = s.serve(c, "", "clear")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(resp.Wrote, gc.Equals, "none")
	resp = s.serve(c, "", "clear", "../x")
	c.Check(resp.ExitCode, gc.Equals, 1)
	c.Check(resp.Wrote, gc.Equals, "none")
}

// TestFleetDeadlineCoversTheWait: each target gets --timeout plus what
// the subcommand itself may wait there: wait's --timeout, a writer's
// --wait[=D]. The stand-in for ssh never answers, so the target times
// out, and says after how long.
func (s *cmdSuite) TestFleetDeadlineCoversTheWait(c *gc.C) {
	if runtime.GOOS == "windows" {
		c.Skip("the stand-in for ssh is a shell script")
	}
	bin := tempDir(c)
	c.Assert(os.WriteFile(filepath.Join(bin, "ssh"), []byte("#!/bin/sh\nexec sleep 600\n"), 0o755), gc.IsNil)
	path := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, t := range []struct {
		args []string
		want string
	}{
		{[]string{"set", "agent", "f", "pause"}, "100ms"},
		{[]string{"set", "agent", "f", "pause", "--wait=200ms"}, "300ms"},
		{[]string{"release", "--wait=200ms", "agent", "f"}, "300ms"},
		{[]string{"wait", "agent", "f", "--loaded", "--timeout", "300ms"}, "400ms"},
	} {
		args := append([]string{"--host", "db1", "--remote-wrench", "wrench", "--timeout", "100ms"}, t.args...)
		r := runBinaryEnv(c, s.bin, []string{path}, "", args...)
		c.Check(r.code, gc.Equals, 3, gc.Commentf("%q: %s", t.args, r.stderr))
		c.Check(r.stdout, gc.Equals, "db1: unreachable: timed out after "+t.want+"\n", gc.Commentf("%q", t.args))
	}
}
