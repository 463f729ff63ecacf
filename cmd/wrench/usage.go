package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/go-wrench/wrench"
)

// printUsage prints the program's help.
func printUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: wrench [--datadir DIR] COMMAND [ARGUMENTS]

wrench drops, changes and inspects the rules that make wrench.IsActive
fail on purpose. Rules live in DIR/wrench/CATEGORY, one a line:
FEATURE [TRIGGER] [# comment].

Commands:
`)
	// A synopsis past longSynopsis has a line of its own, with its
	// summary under it, so the others' column stays narrow.
	width := 0
	for _, c := range commands {
		if n := len(c.name) + 1 + len(c.args); n <= longSynopsis && n > width {
			width = n
		}
	}
	for _, c := range commands {
		synopsis := c.name + " " + c.args
		if len(synopsis) > longSynopsis {
			fmt.Fprintf(w, "  %s\n  %-*s  %s\n", synopsis, width, "", c.summary)
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, synopsis, c.summary)
	}
	fmt.Fprintf(w, `
Options:
  --datadir DIR  the data directory: rules are in DIR/wrench (default %s)
  --version      print the version and exit

Many machines (every command but cloud-init and help; "wrench help fleet"):
  --host TARGET         run on TARGET over ssh: [user@]host or
                        ssh://[user@]host[:port][/datadir] (repeatable)
  --hosts FILE          run on each target in FILE, one a line
  --ssh-option KEY=VAL  pass -o KEY=VAL to ssh (repeatable)
  --sudo                run wrench there as root, with sudo -n
  --parallel N          at most N targets at a time (default 16)
  --timeout D           each target's time in all (default 30s)
  --pick one|N|P%%       run on a random few; --seed S repeats a choice
  --remote-wrench PATH  run the wrench installed there, not a copy of this one
  --any                 done when one target succeeds (commands that do not write)
  --json                one JSON array, an object per target

Flags may follow the arguments; "--" ends the flags, so an argument after it
may start with "-" (wrench set agent -- -odd-feature).

Exit status: 0 done; 1 failed, or check found a problem; 2 the command line
is wrong; over --host, 3 some target was unreachable or timed out. Run
"wrench help COMMAND" for a command's details, "wrench help triggers" for
the trigger language, and "wrench help fleet" for --host.
`, dataDirDefault())
}

// longSynopsis is the length past which a command's synopsis has the
// program's usage line to itself.
const longSynopsis = 48

// triggerHelp is the trigger language, as help set, help release and
// help triggers show it.
const triggerHelp = `Triggers:
  TRIGGER is one field: terms joined by "->", optionally ending in
  "->repeat". Quote it for the shell: "->" and "*" mean something there.

    trigger = term { "->" term } [ "->repeat" ]
    term    = [ PROB "%" ] [ COUNT "*" ] ACTION [ "(" ARG ")" ]

  PROB is a chance, above 0 and at most 100 (30%, 12.5%); COUNT is a whole
  number, at least 1. Each call walks the terms in order: a term whose
  count is used up is skipped, a term whose chance misses passes the call
  on to the next. The first term that passes fires: its count goes down by
  one and its action runs. When no term fires, IsActive returns false. Once
  every term has a count and all are spent, "->repeat" starts the counts
  over; without it the rule is spent and returns false.

  ACTION       what the call that fires does
  on, return   IsActive returns true (a bare feature means on)
  off          returns false
  sleep(D)     sleeps D (a Go duration: 250ms, 2s; a bare number is
               milliseconds), then returns false
  pause        blocks until the rule changes (rewritten, touched, removed)
               or wrench is disabled, then is evaluated afresh
  panic        panics with a value naming category and feature
  exit(N)      logs, then ends the process with status N (default 1)
  print        logs that the point was reached, returns false

  Examples:
    wrench set agent refuse-upgrade                   every call
    wrench set agent fail-lease 30%on                 about 30% of calls
    wrench set agent run-hook '2*on->1*off->repeat'   2 calls out of 3
    wrench set agent slow-dial 'sleep(2s)'            each call sleeps 2s
    wrench set agent start-hook pause                 hold every call...
    wrench release agent start-hook 2                 ...and let 2 through
`

// fleetHelp is what "wrench help fleet" prints: running on many machines.
const fleetHelp = `Many machines:
  wrench --host TARGET [--host TARGET...] COMMAND [ARGUMENTS]
  wrench --hosts FILE COMMAND [ARGUMENTS]

  Runs COMMAND on every target over ssh, as it would run here, and prints
  one line per target in the order given, with the command's own output
  indented under it:

    db1: ok
    db2: failed: set: refusing to write ...
    db3: unreachable: ssh: connect to host db3 port 22: Connection refused

  TARGET is [user@]host (any ssh destination, ssh config aliases too) or
  ssh://[user@]host[:port][/datadir]; a data directory in the target is
  --datadir there. --datadir on the command line goes to every target that
  names none; $WRENCH_DATADIR does not (it describes this machine). FILE
  holds one target a line; blank lines and # comments are skipped. A target
  given twice is an error.

  Transport: the system's ssh, run as "ssh -T -o BatchMode=yes" with the
  user's ssh config and agent; --ssh-option adds -o options. Arguments and
  stdin (apply's rules) travel on ssh's stdin, never through a remote
  shell: a trigger such as '2*on->1*off->repeat' needs no second quoting.
  The target's login shell must be a POSIX shell (sh, bash, dash, ksh, zsh).

  No install needed: this wrench copies itself into ~/.cache/wrench/DIGEST
  (mode 0700) of the login user on a target that lacks it, when the
  target's platform (uname) is this build's, and checks its sha256 there
  (with sha256sum, shasum -a 256 or sha256 -q) before every use; a copy
  that fails the check is replaced. --remote-wrench PATH runs an
  installed wrench instead (of a release that has --host). --sudo runs
  wrench there as root with sudo -n, which must not ask for a password.

  --parallel N runs N targets at a time (default 16). --timeout D is each
  target's time for all of it: connecting, copying, the command (default
  30s); a command that waits on the target (wait's --timeout, a writer's
  --wait[=D]) gets that wait plus D.
  --pick one|N|P% runs on that many targets chosen at random (P% rounds
  up, at least 1); the choice and its --seed are printed on stderr, and
  --seed S makes the same choice again from the same targets.
  --any (for commands that only look or wait) ends the run when one target
  succeeds; the others are stopped, and say so.

  --json prints one JSON array, an object per target: target, outcome (ok,
  failed, unreachable, stopped), reason, exit_code, stdout, stderr, result
  (the command's own --json output, for commands that have one; else null)
  copied (whether wrench was copied there) and changed (for commands that
  write: whether the target changed, null where nobody knows). exit_code,
  stdout and stderr are null where the command never ran.

  Exit status: 0 every target ok (with --any: one was); 1 every target
  reached and one or more failed; 3 one or more unreachable or timed out;
  2 the command line is wrong, found here before anything runs anywhere.
  Each target's write is atomic on its own and nothing is undone elsewhere:
  commands that write end with a line on stderr naming the targets changed,
  not changed, and not known. A failed target may have changed: a --wait
  that timed out (the write stands), a clear that removed some files.
`

// printTriggers prints the trigger language.
func printTriggers(w io.Writer) {
	io.WriteString(w, triggerHelp)
}

// printCommandUsage prints one command's help.
func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: wrench [--datadir DIR] %s %s\n\n", c.name, c.args)
	if c.help != "" {
		fmt.Fprintf(w, "%s\n\n", c.help)
	} else {
		fmt.Fprintf(w, "%s\n\n", capitalise(c.summary)+".")
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	dataDir := defaultDataDir
	fs.StringVar(&dataDir, "datadir", dataDir, "the data directory whose wrench subdirectory holds the rules")
	if c.flags != nil {
		c.flags(fs, &options{})
	}
	fmt.Fprintln(w, "Options:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		if f.Name == "wait" {
			name = "[=D]" // optional: a bare --wait waits 30s
		}
		if f.Name == "datadir" {
			name = " DIR"
			usage += " (default " + dataDirDefault() + ")"
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, name, usage)
	})
	tw.Flush()
	if !c.local {
		fmt.Fprintln(w, "\nRuns on other machines with --host TARGET or --hosts FILE: see \"wrench help fleet\".")
	}
	if c.trigger {
		fmt.Fprintf(w, "\n%s", triggerHelp)
	}
}

// dataDirVariable names the environment variable that, when set, is the
// default for --datadir, so a test harness or an operator's shell points
// every command at one data directory.
const dataDirVariable = "WRENCH_DATADIR"

// defaultDataDir is what --datadir defaults to: $WRENCH_DATADIR, or the
// library's default data directory.
var defaultDataDir = func() string {
	if dir := os.Getenv(dataDirVariable); dir != "" {
		return dir
	}
	return wrench.DataDir()
}()

// dataDirDefault says what --datadir defaults to, and why.
func dataDirDefault() string {
	if os.Getenv(dataDirVariable) != "" {
		return defaultDataDir + ", from $" + dataDirVariable
	}
	return defaultDataDir + ", or $" + dataDirVariable + " when set"
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
