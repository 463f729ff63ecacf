package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench"
	"github.com/go-wrench/wrench/internal/fleet"
)

// Exit statuses.
const (
	exitOK      = 0 // done; check found nothing wrong
	exitFailed  = 1 // the operation failed, or check found a problem
	exitUsage   = 2 // the command line's shape is wrong
	programName = "wrench"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == fleet.ServeArg {
		os.Exit(runRemote())
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError is a command line of the wrong shape: exit status 2.
type usageError struct {
	msg  string
	hint string // what to do instead, "" for none
	help string // the command whose help to point at, "" for the program's
}

func (e *usageError) Error() string { return e.msg }

// usagef makes a usageError for command cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), help: cmd}
}

// errNotANumber is the reason a numeric flag's value is refused.
var errNotANumber = errors.New("not a number")

// maxUID is the largest uid there can be: uids are 32 bits, and
// 4294967295 is (uid_t)-1, which means "no user".
const maxUID int64 = 1<<32 - 2

// errUIDRange is the reason a uid past maxUID is refused.
var errUIDRange = errors.New("out of range: uids go up to 4294967294")

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
	// dataDirGiven is whether --datadir is on the command line, rather
	// than the default or $WRENCH_DATADIR: both describe this machine,
	// which cloud-init's document and a remote target are not.
	dataDirGiven bool
	// remote is whether this is the remote end of a fleet run, which
	// runs on its own machine only.
	remote bool
	// What the remote end of a fleet run reports besides the output: the
	// error line fail printed, without the program name, and what a
	// writer did to the rules.
	errLine string
	write   fleet.Write
}

// run runs the command line args and returns the exit status. Every error
// is one line on stderr: "wrench: COMMAND: what and where".
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	return e.run(args)
}

func (e *env) run(args []string) int {
	dataDir := defaultDataDir
	fl := newFleetFlags()
	global := newFlagSet(programName, &dataDir)
	fl.register(global)
	showVersion := global.Bool("version", false, "print the version and exit")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(e.stdout)
			return exitOK
		}
		return e.fail("", usagef("", "%v", flagError(err)))
	}
	if *showVersion {
		fmt.Fprintln(e.stdout, version())
		return exitOK
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
	fleetNames := fl.register(fs)
	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, cmd)
		return exitOK
	}
	if err != nil {
		u := &usageError{msg: err.Error(), help: cmd.name}
		if strings.HasPrefix(u.msg, undefinedFlag) && cmd.max != 0 {
			u.hint = "put -- before arguments that start with -"
		}
		return e.fail(cmd.name, u)
	}
	if err := cmd.checkArgs(positional); err != nil {
		return e.fail(cmd.name, err)
	}
	if dataDir == "" {
		return e.fail(cmd.name, usagef(cmd.name, "--datadir is empty"))
	}
	isDataDir := func(f *flag.Flag) { e.dataDirGiven = e.dataDirGiven || f.Name == "datadir" }
	global.Visit(isDataDir)
	fs.Visit(isDataDir)

	// The fleet's flags: those before the command, and those among its
	// arguments that are not the command's own (list's --json is).
	given := givenFleetFlags(global)
	fs.Visit(func(f *flag.Flag) {
		if fleetNames[f.Name] {
			given[f.Name] = true
		}
	})
	if ownJSON := !fleetNames["json"]; ownJSON && given["json"] {
		// "wrench --json list": list's own --json, given early.
		o.json = true
		delete(given, "json")
	}
	if len(fl.targets) > 0 {
		if e.remote {
			return e.fail(cmd.name, usagef(cmd.name, "--host and --hosts are not taken on a target"))
		}
		if o.json {
			fl.json = true
		}
		r, err := prepareFleet(cmd, fl, given, fs, fleetNames, args, positional, dataDir, e.dataDirGiven)
		if err != nil {
			return e.fail(cmd.name, err)
		}
		return e.runFleet(r)
	}
	for _, name := range fleetFlagNames {
		if given[name] {
			return e.fail(cmd.name, usagef(cmd.name, "--%s is for running on other machines: give --host or --hosts too", name))
		}
	}

	if cmd.name != "help" && cmd.name != "cloud-init" {
		if hint := dataDirHint(dataDir); hint != "" {
			fmt.Fprintln(e.stderr, programName+": hint: "+hint)
		}
	}
	wrench.SetDataDir(dataDir)
	return e.fail(cmd.name, cmd.run(e, o, positional))
}

// dataDirHint says that dataDir looks like a wrench directory given in
// place of the data directory above it, or "". Rules live in
// DATADIR/wrench, so "--datadir /var/lib/wrench" would arm
// /var/lib/wrench/wrench, which no agent reads.
func dataDirHint(dataDir string) string {
	clean := filepath.Clean(dataDir)
	if filepath.Base(clean) != "wrench" {
		return ""
	}
	if _, err := os.Lstat(filepath.Join(clean, "wrench")); !os.IsNotExist(err) {
		return ""
	}
	return fmt.Sprintf("data directory %s looks like a wrench directory itself; the rules are in DATADIR/wrench, so the data directory is probably %s", dataDir, filepath.Dir(clean))
}

// version is what --version prints: the module's version as the build
// recorded it ("(devel)" when it did not), and the Go toolchain and
// platform it was built for.
func version() string {
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("%s %s %s %s/%s", programName, v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
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
		see := "see " + programName + " --help"
		if usage.help != "" {
			see = "see " + programName + " help " + usage.help
		}
		if usage.hint != "" {
			see = usage.hint + "; " + see
		}
		msg += " (" + see + ")"
	}
	// One line of plain text, whatever a name or path in the message
	// holds.
	msg = escaped(msg)
	fmt.Fprintln(e.stderr, prefix+msg)
	e.errLine = strings.TrimPrefix(prefix+msg, programName+": ")
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

// undefinedFlag begins the flag package's error for an unknown flag.
const undefinedFlag = "flag provided but not defined: "

// flagName finds the flag named in each of the flag package's errors,
// which all begin with what is matched here.
var flagName = regexp.MustCompile(`^(flag provided but not defined: |flag needs an argument: |invalid value ".*" for flag |invalid boolean value ".*" for |invalid boolean flag )-([^-])`)

// parseInterspersed parses flags wherever they are among the arguments,
// as in "wrench check agent --json", and returns the other arguments. An
// argument "--" ends the flags: what follows is positional even if it
// starts with "-" (a feature may). A negative number is an argument, not
// a flag, so "release agent hook -1" says what is wrong with the count.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		arg := args[0]
		if arg == "--" {
			return append(positional, args[1:]...), nil
		}
		if !isFlag(arg) {
			positional = append(positional, arg)
			args = args[1:]
			continue
		}
		// The flag, and its value when that is the next argument: the
		// value may itself start with "-" (--uid -1).
		n := 1
		if takesValue(fs, arg) && len(args) > 1 {
			n = 2
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, flagError(err)
		}
		args = args[n:]
	}
	return positional, nil
}

// isFlag reports whether arg is a flag rather than an argument.
func isFlag(arg string) bool {
	return len(arg) > 1 && arg[0] == '-' && !negativeNumber.MatchString(arg)
}

var negativeNumber = regexp.MustCompile(`^-[0-9]`)

// takesValue reports whether arg is a known flag that takes its value from
// the next argument: not a boolean flag, and not written --name=value.
func takesValue(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}
