package fleet

import (
	"bufio"
	"bytes"
	"io"
)

// ServeArg is the remote end's whole command line after the binary's
// path: "wrench __fleet". It is fixed, so the line ssh hands the remote
// shell never holds anything of the user's.
const ServeArg = "__fleet"

// RunFunc runs a command line as the wrench command does, and says how
// it ended.
type RunFunc func(args []string, stdin io.Reader, stdout, stderr io.Writer) Ran

// Ran is how a subcommand ended, as the remote end reports it.
type Ran struct {
	ExitCode int
	Error    string // its error line without "wrench: ", "" if none
	Wrote    Write
}

// Serve is the remote end of a fleet run. It reads one request from
// stdin, runs it with run, and writes the response to stdout; it returns
// the subcommand's exit status (the local side reads the status from the
// response, not from the process).
//
// While the subcommand runs, Serve keeps reading stdin: the local command
// holds it open until it has the response, so its end means the local
// command is gone (stopped by --any, timed out, killed). Serve then calls
// gone, which is expected to end the process: a "wait" whose harness has
// left must not go on waiting on the target.
func Serve(stdin io.Reader, stdout io.Writer, run RunFunc, gone func()) int {
	in := bufio.NewReader(stdin)
	req, err := DecodeRequest(in)
	if err != nil {
		resp := &Response{Version: ProtocolVersion, ExitCode: 1, Stderr: []byte("wrench: " + err.Error() + "\n"), Error: err.Error(), Wrote: NoWrite}
		resp.Encode(stdout)
		return resp.ExitCode
	}
	go func() {
		io.Copy(io.Discard, in)
		gone()
	}()
	var out, errOut bytes.Buffer
	ran := run(req.CommandLine(), bytes.NewReader(req.Stdin), &out, &errOut)
	resp := &Response{
		Version: ProtocolVersion, ExitCode: ran.ExitCode, Stdout: out.Bytes(), Stderr: errOut.Bytes(),
		Error: ran.Error, Wrote: ran.Wrote,
	}
	if err := resp.Encode(stdout); err != nil {
		return 1
	}
	return ran.ExitCode
}
