package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench"
)

// Exit statuses.
const (
	exitOK      = 0 // done; check found nothing wrong
	exitFailed  = 1 // the operation failed, or check found a problem
	exitUsage   = 2 // the command line's shape is wrong
	programName = "wrench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a command line of the wrong shape: exit status 2.
type usageError struct {
	msg  string
	help string // the command whose help to point at, "" for the program's
}

func (e *usageError) Error() string { return e.msg }

// usagef makes a usageError for command cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), help: cmd}
}

// errNotANumber is the reason a numeric flag's value is refused.
var errNotANumber = errors.New("not a number")

// errProblems is returned by check when it found a problem, which it has
// reported on stdout already.
type errProblems struct{ count int }

func (e *errProblems) Error() string {
	if e.count == 1 {
		return "1 problem found"
	}
	return fmt.Sprintf("%d problems found", e.count)
}

// env is what a command runs with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run runs the command line args and returns the exit status. Every error
// is one line on stderr: "wrench: COMMAND: what and where".
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	dataDir := defaultDataDir
	global := newFlagSet(programName, &dataDir)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return exitOK
		}
		return e.fail("", usagef("", "%v", flagError(err)))
	}
	args = global.Args()
	if len(args) == 0 {
		return e.fail("", usagef("", "no command given"))
	}
	name, args := args[0], args[1:]
	cmd := findCommand(name)
	if cmd == nil {
		return e.fail("", usagef("", "unknown command %q", name))
	}
	fs := newFlagSet(programName+" "+cmd.name, &dataDir)
	o := &options{}
	if cmd.flags != nil {
		cmd.flags(fs, o)
	}
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(stdout, cmd)
		return exitOK
	}
	if err != nil {
		return e.fail(cmd.name, usagef(cmd.name, "%v", err))
	}
	if err := cmd.checkArgs(positional); err != nil {
		return e.fail(cmd.name, err)
	}
	wrench.SetDataDir(dataDir)
	return e.fail(cmd.name, cmd.run(e, o, positional))
}

// fail reports err, if any, as one line on stderr and gives the exit
// status it calls for.
func (e *env) fail(cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	prefix := programName + ": "
	if cmd != "" {
		prefix += cmd + ": "
	}
	msg := err.Error()
	var usage *usageError
	if errors.As(err, &usage) {
		see := programName + " --help"
		if usage.help != "" {
			see = programName + " help " + usage.help
		}
		msg += " (see " + see + ")"
	}
	// One line, whatever a name or path in the message holds.
	msg = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(msg)
	fmt.Fprintln(e.stderr, prefix+msg)
	if usage != nil {
		return exitUsage
	}
	return exitFailed
}

// newFlagSet makes a flag set that reports errors to run rather than
// printing them, with the --datadir flag every command accepts.
func newFlagSet(name string, dataDir *string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(dataDir, "datadir", *dataDir, "the data directory whose wrench subdirectory holds the rules")
	return fs
}

// flagError spells flags in the flag package's errors the way this
// command's help does, "--uid" rather than "-uid" (both are accepted).
func flagError(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return errors.New(flagName.ReplaceAllString(err.Error(), "$1--$2"))
}

// flagName finds a flag named in the flag package's errors.
var flagName = regexp.MustCompile(`(flag(?: provided but not defined:)? )-([a-z])`)

// parseInterspersed parses flags wherever they are among the arguments,
// as in "wrench check agent --json", and returns the other arguments. An
// argument "--" ends the flags: what follows is positional even if it
// starts with "-" (a category may).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err)
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(rest) == 0 || len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
