package fleet

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/juju/errors"
	"github.com/juju/loggo/v2"
)

var logger = loggo.GetLogger("wrench")

// Outcome is what became of one target.
type Outcome string

const (
	// OK: the subcommand ran there and exited 0.
	OK Outcome = "ok"
	// Failed: the target was reached and the subcommand failed there, or
	// could not be run there (no binary for its platform, sudo refused).
	Failed Outcome = "failed"
	// Unreachable: ssh could not connect or log in, or the target did
	// not finish within its time.
	Unreachable Outcome = "unreachable"
	// Stopped: with Options.Any, another target met the condition first,
	// and this one was stopped (or never started).
	Stopped Outcome = "stopped"
)

// Options say how a run reaches its targets.
type Options struct {
	SSH          string   // the ssh client to run, "ssh" from PATH by default
	SSHOptions   []string // KEY=VALUE, each passed as ssh -o
	Sudo         bool     // run the remote side as root with sudo -n
	Parallel     int      // targets at a time, at least 1
	Timeout      time.Duration
	RemoteWrench string  // an installed wrench's path, "" to copy Binary
	Binary       *Binary // what to copy when RemoteWrench is ""
	// Any ends the run as soon as one target is OK: the others are
	// stopped.
	Any bool
}

// Result is what happened on one target.
type Result struct {
	Target  Target
	Outcome Outcome
	// Reason says why a target is not OK, in one line.
	Reason string
	// Response is what the subcommand did there; nil when it never ran.
	Response *Response
	// Copied is whether this run copied the binary to the target.
	Copied bool
	// Unanswered is whether the remote command ended without an answer
	// after wrench may have started there: what it did is not known.
	Unanswered bool

	// cut is whether the run there was cut short: its time ran out, or
	// --any stopped it. A target that ended on its own is reported as it
	// ended, even when the time ran out just after.
	cut bool
}

// Run runs the request that request makes for each target, opts.Parallel
// targets at a time, and returns one result per target in the order
// given. Each target has opts.Timeout for all of it: connecting, copying
// the binary, and the subcommand. Nothing is retried, and nothing done on
// one target is undone because another failed.
func Run(ctx context.Context, targets []Target, request func(Target) *Request, opts Options) []Result {
	results := make([]Result, len(targets))
	anyCtx, stop := context.WithCancel(ctx)
	defer stop()
	slots := make(chan struct{}, max(opts.Parallel, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-anyCtx.Done():
				results[i] = stopped(t, ctx)
				return
			}
			defer func() { <-slots }()
			if anyCtx.Err() != nil {
				results[i] = stopped(t, ctx)
				return
			}
			r := runTarget(anyCtx, t, request(t), opts)
			if r.cut && anyCtx.Err() != nil {
				r = stopped(t, ctx)
			}
			results[i] = r
			if opts.Any && r.Outcome == OK {
				stop()
			}
		}()
	}
	wg.Wait()
	return results
}

// stopped is the result for a target that --any stopped, or that the
// caller's context ended.
func stopped(t Target, ctx context.Context) Result {
	if ctx.Err() != nil {
		return Result{Target: t, Outcome: Stopped, Reason: "the run was interrupted"}
	}
	return Result{Target: t, Outcome: Stopped, Reason: "another target met the condition first"}
}

// runTarget runs req on one target, copying the binary first when it
// must.
func runTarget(ctx context.Context, t Target, req *Request, opts Options) Result {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	res := Result{Target: t}
	var buf bytes.Buffer
	if err := req.Encode(&buf); err != nil {
		return res.failed(err.Error())
	}
	command := remoteWrenchCommand(opts.RemoteWrench, opts.Sudo)
	if opts.RemoteWrench == "" {
		command = runCommand(opts.Binary, opts.Sudo)
	}
	for {
		out := runSSH(ctx, opts, t, command, buf.Bytes(), true)
		switch {
		case out.response != nil:
			// An answer counts even if the time ran out or --any
			// stopped the run while ssh was closing: the target did
			// what it says, and may have written.
			res.Response = out.response
			if out.response.ExitCode == 0 {
				res.Outcome = OK
				return res
			}
			return res.failed(failureReason(out.response))
		case out.interrupted:
			return res.timedOut(fmt.Sprintf("timed out after %v", opts.Timeout))
		case out.exitCode == needInstall && opts.RemoteWrench == "" && !res.Copied:
			logger.Debugf("%s: no wrench %s in %s: copying it", t.Given, opts.Binary.Digest[:16], opts.Binary.CacheDir())
			if err := opts.Binary.checkPlatform(string(out.stdout)); err != nil {
				return res.failed(err.Error())
			}
			if r, ok := copyBinary(ctx, opts, t); !ok {
				if r.cut {
					return res.timedOut(fmt.Sprintf("timed out after %v while copying wrench there", opts.Timeout))
				}
				return r
			}
			res.Copied = true
			continue
		case out.exitCode == needInstall && opts.RemoteWrench == "":
			return res.failed(fmt.Sprintf("the copied wrench in ~/%s fails its sha256 check there (is sha256sum, shasum or sha256 installed?)", opts.Binary.CacheDir()))
		case out.exitCode == 255 || out.err != nil:
			return res.unreachable(sshReason(out))
		default:
			res.Unanswered = true
			return res.failed(fmt.Sprintf("no answer from wrench there (exit status %d): %s", out.exitCode, lastLine(out.stderr, "it said nothing")))
		}
	}
}

// copyBinary copies the binary into the target's cache. ok is false when
// it could not, with r saying why.
func copyBinary(ctx context.Context, opts Options, t Target) (r Result, ok bool) {
	data, err := os.ReadFile(opts.Binary.Path)
	if err != nil {
		return Result{Target: t}.failed(errors.Annotate(err, "reading this wrench's own executable").Error()), false
	}
	out := runSSH(ctx, opts, t, installCommand(opts.Binary), data, false)
	switch {
	case out.interrupted:
		return Result{cut: true}, false
	case out.exitCode == 255 || out.err != nil:
		return Result{Target: t}.unreachable(sshReason(out)), false
	case out.exitCode != 0:
		return Result{Target: t}.failed(fmt.Sprintf("cannot copy wrench to ~/%s there: %s", opts.Binary.CacheDir(), lastLine(out.stderr, fmt.Sprintf("exit status %d", out.exitCode)))), false
	}
	return Result{}, true
}

func (r Result) failed(reason string) Result {
	r.Outcome, r.Reason = Failed, reason
	return r
}

func (r Result) unreachable(reason string) Result {
	r.Outcome, r.Reason = Unreachable, reason
	return r
}

// timedOut is the result for a target whose run was cut short.
func (r Result) timedOut(reason string) Result {
	r = r.unreachable(reason)
	r.cut = true
	return r
}

// failureReason is the subcommand's error line without the program
// name: "set: bad trigger ...". A wrench that does not send it apart
// printed it last; the warnings and hints before it are not the reason.
func failureReason(resp *Response) string {
	if resp.Error != "" {
		return resp.Error
	}
	lines := strings.Split(string(resp.Stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line, ok := strings.CutPrefix(lines[i], "wrench: ")
		if ok && !isNote(line) {
			return line
		}
	}
	return fmt.Sprintf("exit status %d", resp.ExitCode)
}

// isNote says whether a line the command printed (without "wrench: ")
// is a hint or a warning, "hint: ..." or "CMD: warning: ...", rather
// than an error.
func isNote(line string) bool {
	if strings.HasPrefix(line, "hint: ") {
		return true
	}
	_, rest, ok := strings.Cut(line, ": ")
	return ok && (strings.HasPrefix(rest, "warning: ") || strings.HasPrefix(rest, "hint: "))
}

func sshReason(out sshOutput) string {
	if out.err != nil {
		return out.err.Error()
	}
	return lastLine(out.stderr, "ssh failed and said nothing")
}

// lastLine is the last non-blank line of b, or otherwise if there is none.
func lastLine(b []byte, otherwise string) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last
	}
	return otherwise
}

// sshOutput is what one ssh run did.
type sshOutput struct {
	stdout, stderr []byte
	exitCode       int
	err            error // ssh could not be run at all
	response       *Response
	// interrupted is whether ssh was stopped because its context ended
	// (or never started because it had), rather than ending on its own.
	interrupted bool
}

// waitDelay is how long a cancelled ssh has to exit, and its pipes to
// close, before it is killed and they are abandoned: ssh ends a
// ProxyCommand it started when it exits.
const waitDelay = 5 * time.Second

// runSSH runs command on t with input on its stdin. With hold, stdin
// stays open until ssh exits, so that the remote end sees its end only
// when this side is gone (Serve); otherwise it is closed after input, as
// cat needs.
func runSSH(ctx context.Context, opts Options, t Target, command string, input []byte, hold bool) sshOutput {
	ssh := opts.SSH
	if ssh == "" {
		ssh = "ssh"
	}
	cmd := exec.CommandContext(ctx, ssh, sshArgs(t, opts.SSHOptions, command)...)
	// ssh cleans up (its ProxyCommand, its control socket) on SIGTERM;
	// where that signal cannot be sent, WaitDelay kills it.
	// Cancel is called only when the context ends before ssh is seen to
	// exit; a process that had exited already was not interrupted.
	var interrupted atomic.Bool
	cmd.Cancel = func() error {
		err := cmd.Process.Signal(syscall.SIGTERM)
		interrupted.Store(!errors.Is(err, os.ErrProcessDone))
		return err
	}
	cmd.WaitDelay = waitDelay
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var out sshOutput
	if hold {
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return sshOutput{err: errors.Trace(err)}
		}
		if err := cmd.Start(); err != nil {
			return finish(err, ssh)
		}
		go stdin.Write(input) // a write error is ssh's exit, seen by Wait
		err = cmd.Wait()
		out = finish(err, ssh)
	} else {
		cmd.Stdin = bytes.NewReader(input)
		out = finish(cmd.Run(), ssh)
	}
	out.stdout, out.stderr = stdout.Bytes(), stderr.Bytes()
	out.interrupted = out.interrupted || interrupted.Load()
	out.response, _ = FindResponse(out.stdout)
	return out
}

// finish turns ssh's exit into an sshOutput.
func finish(err error, ssh string) sshOutput {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return sshOutput{}
	case errors.As(err, &exit):
		code := exit.ExitCode()
		if code < 0 {
			code = 255 // killed by a signal: as good as a lost connection
		}
		return sshOutput{exitCode: code}
	case errors.Is(err, exec.ErrWaitDelay):
		return sshOutput{}
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return sshOutput{err: errors.Annotatef(err, "running %s", ssh), interrupted: true}
	default:
		return sshOutput{err: errors.Annotatef(err, "running %s", ssh)}
	}
}
