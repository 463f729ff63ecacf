package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench"
	"github.com/go-wrench/wrench/internal/fleet"
)

// command is one subcommand: its synopsis, help, flags, and the library
// call it makes. Commands hold no logic of their own beyond reading the
// command line and printing results: the work is the library's.
type command struct {
	name    string
	args    string // the arguments' synopsis
	summary string // one line for the program's usage
	help    string // the rest of the command's help
	trigger bool   // whether its help shows the trigger language
	min     int    // how many positional arguments it needs
	max     int    // how many it accepts; -1 for any number
	flags   func(fs *flag.FlagSet, o *options)
	run     func(e *env, o *options, args []string) error

	// How it runs on other machines (--host).
	local      bool // runs here only: --host does not apply
	writes     bool // changes rule files: --any is refused, changes are summed up
	readsStdin bool // takes stdin, which is read once and sent to every target
	// validate checks the positional arguments' values, where run would
	// find a usage error, so that a fleet run finds it here first; nil
	// when checkArgs says all.
	validate func(args []string) error
}

// options are the values of a command's own flags.
type options struct {
	json     bool
	uid      int
	uidGiven bool
	owner    string

	wait     waitFlag         // --wait[=D] of the writers
	condName string           // wait's condition flag: paused, fired or loaded
	cond     wrench.Condition // wait's condition
	timeout  time.Duration    // wait's --timeout
}

// checkArgs says whether args fit the command's synopsis.
func (c *command) checkArgs(args []string) error {
	if len(args) < c.min || c.max >= 0 && len(args) > c.max {
		return usagef(c.name, "want %s, got %s", c.synopsis(), countArgs(len(args)))
	}
	return nil
}

func (c *command) synopsis() string {
	if c.args == "" {
		return "no arguments"
	}
	return c.args
}

func countArgs(n int) string {
	switch n {
	case 0:
		return "none"
	case 1:
		return "1 argument"
	}
	return strconv.Itoa(n) + " arguments"
}

// findCommand returns the command called name, or nil.
func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// commands are the subcommands, in the order the usage lists them. They
// are set in init because help refers back to them.
var commands []*command

func init() {
	commands = []*command{{
		name:    "set",
		args:    "CATEGORY FEATURE [TRIGGER]",
		summary: "arm FEATURE with TRIGGER (default: always on)",
		help: `Adds or replaces FEATURE's line in the CATEGORY file, keeping every other
line and comment, and the replaced line's comment. Without TRIGGER the line
is the bare feature, which is always active. A bad category, feature or
trigger is refused before anything is written, and so is an existing file
IsActive would not trust ("wrench clear CATEGORY" removes a file; a
directory there must be removed by hand).

Counts live in each process that reads the file, and a rule whose line is
unchanged keeps them: setting one feature never restarts another's, and
setting a spent rule to the same trigger leaves it spent. To re-arm it, set
a different trigger, or unset it and set it again once the process has
read the file without it, or restart the process.

When live processes read CATEGORY and none has ever asked for FEATURE, set
warns on stderr (and still writes, exit 0): most likely the feature, or
the agent, has a typo ("wrench status" shows what they ask). It says
nothing when no live process reads CATEGORY.` + waitHelp,
		min: 2, max: 3,
		flags: waitFlags,
		run: func(e *env, o *options, args []string) error {
			trigger := ""
			if len(args) == 3 {
				// Most likely an unset shell variable: refuse rather
				// than arm the point for every call.
				if args[2] == "" {
					return errors.New("empty TRIGGER argument: leave it out for a bare feature, always on")
				}
				trigger = args[2]
			}
			warning := unaskedWarning(args[0], args[1])
			if err := e.wrote(wrench.Set(args[0], args[1], trigger)); err != nil {
				return err
			}
			fmt.Fprint(e.stderr, warning)
			return written(e, o, args[0])
		},
		trigger: true,
		writes:  true,
	}, {
		name:    "unset",
		args:    "CATEGORY FEATURE",
		summary: "remove FEATURE's line",
		help: `Removes FEATURE's lines from the CATEGORY file, keeping every other line.
A feature that is not there is not an error, and nothing is written. Like
set, it refuses to edit a file IsActive would not trust.` + waitHelp,
		min: 2, max: 2,
		flags: waitFlags,
		run: func(e *env, o *options, args []string) error {
			if err := e.wrote(wrench.Unset(args[0], args[1])); err != nil {
				return err
			}
			return written(e, o, args[0])
		},
		writes: true,
	}, {
		name:    "release",
		args:    "CATEGORY FEATURE [N]",
		summary: "let N (default 1) more calls through a paused rule",
		help: `Lets N more calls through FEATURE's paused rule: the calls paused now are
evaluated afresh, N of them (or of the calls that come next) go on, and the
ones after pause again. Releases add up: the rule is written as
"K*off->pause", K calls in all, adding N to the K of a rule already of that
form, so "release c f" twice writes "2*off->pause". A process that reads
the file throughout lets exactly the sum through; one that starts later
lets K through. "wrench set CATEGORY FEATURE pause" pauses every call again
and starts the sum from 0. It is an error if FEATURE has no rule, or its
rule has no pause.` + waitHelp,
		min: 2, max: 3,
		flags: waitFlags,
		run: func(e *env, o *options, args []string) error {
			n, err := releaseCount(args)
			if err != nil {
				return err
			}
			if err := e.wrote(wrench.Release(args[0], args[1], n)); err != nil {
				return err
			}
			return written(e, o, args[0])
		},
		validate: func(args []string) error {
			_, err := releaseCount(args)
			return err
		},
		trigger: true,
		writes:  true,
	}, {
		name:    "apply",
		args:    "CATEGORY",
		summary: "replace the CATEGORY file with the rules on stdin",
		help: `Reads rules from stdin and makes them the whole CATEGORY file, after
checking every line as IsActive parses it. On any problem nothing is
written, and the error names the first as file:line.` + waitHelp,
		min: 1, max: 1,
		flags: waitFlags,
		run: func(e *env, o *options, args []string) error {
			rules, err := io.ReadAll(io.LimitReader(e.stdin, wrench.MaxFileSize+1))
			if err != nil {
				return err
			}
			if err := e.wrote(wrench.Apply(args[0], rules)); err != nil {
				return err
			}
			return written(e, o, args[0])
		},
		writes:     true,
		readsStdin: true,
	}, {
		name:    "clear",
		args:    "[CATEGORY...]",
		summary: "remove category files (all of them with no argument)",
		help: `Removes the files of the named categories, or of every category, whether
or not IsActive would trust them. A file that is not there is not an error.
An entry it cannot remove (a directory where a category file would be) does
not stop it: it removes every file it can, then reports each entry it could
not, and exits 1. It leaves the directories of live states (.live-UID)
alone: they belong to the processes writing them.` + waitHelp,
		min: 0, max: -1,
		flags: waitFlags,
		run: func(e *env, o *options, args []string) error {
			before, listErr := wrench.List(args...)
			if err := wrench.Clear(args...); err != nil {
				e.write = cleared(before, listErr, args)
				return err
			}
			e.write = fleet.Wrote
			return written(e, o, args...)
		},
		writes: true,
	}, {
		name:    "list",
		args:    "[--json] [CATEGORY...]",
		summary: "print the rules of the named categories, or of all",
		help: `Prints each category file's rules, and the lines IsActive skips with why.
Whether IsActive would honour the files is check's business.`,
		min: 0, max: -1,
		flags: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.json, "json", false, "print JSON")
		},
		run: func(e *env, o *options, args []string) error {
			files, err := wrench.List(args...)
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(e.stdout, listJSON(files))
			}
			printList(e.stdout, files)
			return nil
		},
	}, {
		name:    "check",
		args:    "[--json] [--uid UID] [CATEGORY...]",
		summary: "say whether IsActive running as UID would honour the rules, and why not",
		help: `Reports, for the wrench directory, each category file (the named ones, or
every file in the directory) and each line, whether IsActive in a process
running as UID (default: the caller's effective uid) would honour it, and
exactly why not. Exits 1 if it found a problem. --uid is unix only.`,
		min: 0, max: -1,
		flags: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.json, "json", false, "print JSON")
			fs.Func("uid", "check for a process running as `UID` (default: the caller's effective uid)", func(s string) error {
				wide, err := strconv.ParseInt(s, 10, 64)
				if err == nil && wide > maxUID {
					return errUIDRange
				}
				if err != nil && !errors.Is(err, strconv.ErrRange) {
					return errNotANumber
				}
				if err != nil || int64(int(wide)) != wide {
					return errUIDRange // past what an int holds here
				}
				uid := int(wide)
				o.uid, o.uidGiven = uid, true
				return nil
			})
		},
		run: func(e *env, o *options, args []string) error {
			check := wrench.Check
			if o.uidGiven {
				// Said here, in the command's words, rather than
				// in the Go API's.
				switch {
				case runtime.GOOS == "windows":
					return errors.New("--uid is unix only: on this platform check judges for the current user")
				case o.uid < 0:
					return errors.Errorf("uid %d is negative", o.uid)
				}
				check = func(categories ...string) (wrench.Report, error) {
					return wrench.CheckUser(o.uid, categories...)
				}
			}
			report, err := check(args...)
			if err != nil {
				return err
			}
			if o.json {
				err = printJSON(e.stdout, checkJSON(report))
			} else {
				printCheck(e.stdout, report)
			}
			if err == nil && !report.OK() {
				err = &errProblems{count: report.Problems()}
			}
			return err
		},
	}, statusCommand, waitCommand, {
		name:    "cloud-init",
		args:    "[--owner USER[:GROUP]] CATEGORY",
		summary: "print a #cloud-config that arms CATEGORY with the rules on stdin at first boot",
		help: `Reads rules from stdin, checks every line as apply does, and prints a
#cloud-config document whose write_files puts them in DIR/wrench/CATEGORY
on a machine at its first boot, before its agents start: the way to arm a
machine that does not exist yet. DIR (--datadir) is a path on that
machine: /var/lib unless --datadir is given, whatever $WRENCH_DATADIR or
this platform says. The file is mode 0644, owned by --owner (user and group
names, default root:root, which every agent trusts); the owner must exist
when write_files runs, early in the first boot. On any problem nothing is printed and the error names the
first.`,
		min: 1, max: 1,
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.owner, "owner", "", "the file's owner on the machine, `USER[:GROUP]` names (default root:root)")
		},
		run: func(e *env, o *options, args []string) error {
			text, err := io.ReadAll(io.LimitReader(e.stdin, wrench.MaxFileSize+1))
			if err != nil {
				return err
			}
			machineDataDir := wrench.CloudDataDir
			if e.dataDirGiven {
				machineDataDir = wrench.DataDir()
			}
			doc, err := wrench.CloudConfig(machineDataDir, args[0], text, o.owner)
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(doc)
			return err
		},
		local: true,
	}, {
		name:    "help",
		args:    "[COMMAND|triggers|fleet]",
		summary: "print this help, a command's, the trigger language, or --host's",
		min:     0, max: 1,
		local: true,
		run: func(e *env, _ *options, args []string) error {
			if len(args) == 0 {
				printUsage(e.stdout)
				return nil
			}
			if args[0] == "triggers" {
				printTriggers(e.stdout)
				return nil
			}
			if args[0] == "fleet" {
				io.WriteString(e.stdout, fleetHelp)
				return nil
			}
			cmd := findCommand(args[0])
			if cmd == nil {
				return usagef("", "unknown command %q", args[0])
			}
			printCommandUsage(e.stdout, cmd)
			return nil
		},
	}}
}

// releaseCount is release's N, 1 when it is not given.
func releaseCount(args []string) (int, error) {
	if len(args) < 3 {
		return 1, nil
	}
	n, err := strconv.Atoi(args[2])
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, usagef("release", "count %q is too large", args[2])
		}
		return 0, usagef("release", "count %q is not a number", args[2])
	}
	return n, nil
}

// wrote records what a write did, for the remote end of a fleet run to
// report, and returns err. A library write changes nothing when it fails
// and its change stands once it succeeded, whatever --wait then finds.
func (e *env) wrote(err error) error {
	e.write = fleet.Wrote
	if err != nil {
		e.write = fleet.NoWrite
	}
	return err
}

// cleared says whether a clear of categories that failed removed any
// file first, from the files List found before it (or why it found
// none) and the ones it finds now. List refuses what Clear refuses
// before it removes anything (a bad name, a missing data directory, a
// wrench directory it cannot open), so a List that failed before means
// nothing was removed; one that fails after leaves it unknown.
func cleared(before []wrench.CategoryFile, listErr error, categories []string) fleet.Write {
	if listErr != nil {
		return fleet.NoWrite
	}
	after, err := wrench.List(categories...)
	if err != nil {
		return fleet.WriteUnknown
	}
	left := map[string]bool{}
	for _, f := range after {
		left[f.Category] = true
	}
	for _, f := range before {
		if !left[f.Category] {
			return fleet.Wrote
		}
	}
	return fleet.NoWrite
}
