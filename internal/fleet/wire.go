package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/juju/errors"
)

// ProtocolVersion is the version of Request and Response. A remote end
// that speaks another refuses the request, saying which it speaks, rather
// than guess at fields.
const ProtocolVersion = 1

// MaxRequestSize bounds what the remote end reads as a request: the
// arguments and a rules file (at most 64 KiB), with room to spare.
const MaxRequestSize = 4 << 20

// Request is what the local command sends to the remote end, on ssh's
// stdin. Byte strings are []byte, which JSON carries as base64: every
// byte arrives as it was sent, valid UTF-8 or not.
type Request struct {
	Version int `json:"version"`
	// Args are the subcommand and its arguments, as the remote command
	// line would have them after "wrench".
	Args [][]byte `json:"args"`
	// DataDir is the --datadir to use there, "" for the remote default.
	DataDir []byte `json:"datadir"`
	// Stdin is the subcommand's standard input (apply's rules).
	Stdin []byte `json:"stdin"`
}

// NewRequest makes a request for args, run with dataDir (if not "") and
// stdin.
func NewRequest(args []string, dataDir string, stdin []byte) *Request {
	r := &Request{Version: ProtocolVersion, Stdin: stdin}
	for _, a := range args {
		r.Args = append(r.Args, []byte(a))
	}
	if dataDir != "" {
		r.DataDir = []byte(dataDir)
	}
	return r
}

// CommandLine is the request as the command line the remote end runs:
// --datadir first when there is one, then the subcommand and its
// arguments.
func (r *Request) CommandLine() []string {
	var args []string
	if len(r.DataDir) > 0 {
		args = append(args, "--datadir="+string(r.DataDir))
	}
	for _, a := range r.Args {
		args = append(args, string(a))
	}
	return args
}

// Encode writes the request as one line of JSON: the remote end reads
// exactly one value, and then watches for the end of its input.
func (r *Request) Encode(w io.Writer) error {
	data, err := json.Marshal(r)
	if err != nil {
		return errors.Trace(err)
	}
	_, err = w.Write(append(data, '\n'))
	return errors.Trace(err)
}

// DecodeRequest reads one request from r and checks its version. It
// reads no further than the end of the request's line, so that what
// follows on the same stream (nothing, then its end) can be watched.
func DecodeRequest(r *bufio.Reader) (*Request, error) {
	line, err := readLine(r, MaxRequestSize)
	if err != nil {
		return nil, errors.Annotate(err, "reading the request")
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, errors.Annotate(err, "reading the request")
	}
	if req.Version != ProtocolVersion {
		return nil, errors.Errorf("the request is protocol version %d; this wrench speaks version %d", req.Version, ProtocolVersion)
	}
	if len(req.Args) == 0 {
		return nil, errors.New("the request names no subcommand")
	}
	return &req, nil
}

// readLine reads up to and including the next newline, at most max bytes.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return nil, errors.Errorf("longer than %d bytes", max)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, errors.New("it ends before its newline")
		default:
			return nil, err
		}
	}
}

// Response is what the remote end sends back on ssh's stdout: the
// subcommand's exit status and output, as it would have printed them.
type Response struct {
	Version  int    `json:"version"`
	ExitCode int    `json:"exit_code"`
	Stdout   []byte `json:"stdout"`
	Stderr   []byte `json:"stderr"`
	// Error is the subcommand's error line without "wrench: ", "" when
	// it printed none. It travels apart from Stderr because a warning or
	// a hint may come before it there.
	Error string `json:"error,omitempty"`
	// Wrote says whether a writing subcommand changed the rules there,
	// whatever its exit status: a write that --wait then finds not yet
	// served stands, and a clear that fails part way has removed what it
	// could.
	Wrote Write `json:"wrote,omitempty"`
}

// Write is what a subcommand did to a target's rules.
type Write string

const (
	// WriteUnknown: the subcommand writes nothing, or cannot tell (and a
	// wrench older than the field says nothing either).
	WriteUnknown Write = ""
	// Wrote: it changed the rules, and the change stands.
	Wrote Write = "wrote"
	// NoWrite: it changed nothing.
	NoWrite Write = "none"
)

// responseMark begins the line that holds the response, so that anything
// else on the remote's stdout (a login banner, a shell's chatter) cannot
// be taken for it.
const responseMark = "wrench-fleet-response "

// Encode writes the response as one marked line.
func (r *Response) Encode(w io.Writer) error {
	data, err := json.Marshal(r)
	if err != nil {
		return errors.Trace(err)
	}
	_, err = io.WriteString(w, responseMark+string(data)+"\n")
	return errors.Trace(err)
}

// FindResponse finds the response in what the remote end wrote on
// stdout. ok is false when there is none: the remote side is not a
// wrench that speaks this protocol, or it died before answering.
func FindResponse(stdout []byte) (resp *Response, ok bool) {
	for len(stdout) > 0 {
		line, after, _ := bytes.Cut(stdout, []byte("\n"))
		stdout = after
		rest, found := bytes.CutPrefix(line, []byte(responseMark))
		if !found {
			continue
		}
		var r Response
		if json.Unmarshal(rest, &r) == nil && r.Version == ProtocolVersion {
			return &r, true
		}
	}
	return nil, false
}
