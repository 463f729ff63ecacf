package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench"
	"github.com/go-wrench/wrench/internal/fleet"
)

// fleetFlags are the flags that run a subcommand on other machines over
// ssh (SPEC section 8). They are accepted before the subcommand and among
// its arguments alike, so both flag sets share one fleetFlags.
type fleetFlags struct {
	targets      []string // as given, in order, from --host and --hosts
	sshOptions   []string
	sudo         bool
	parallel     int
	timeout      time.Duration
	pick         string
	seed         uint64
	remoteWrench string
	any          bool
	json         bool
}

// Defaults of the fleet flags.
const (
	defaultParallel = 16
	defaultTimeout  = 30 * time.Second
)

// fleetFlagNames are the fleet flags, in the order help lists them.
var fleetFlagNames = []string{"host", "hosts", "ssh-option", "sudo", "parallel", "timeout", "pick", "seed", "remote-wrench", "any", "json"}

func newFleetFlags() *fleetFlags {
	return &fleetFlags{parallel: defaultParallel, timeout: defaultTimeout}
}

// register adds the fleet flags to fs, but for any the command defines
// itself (list's --json, wait's --timeout), which keep their meaning, and
// returns the names it added. The values registered are the current
// ones, so registering on the subcommand's flag set keeps what the flags
// before it said.
func (f *fleetFlags) register(fs *flag.FlagSet) map[string]bool {
	added := map[string]bool{}
	add := func(name string, define func()) {
		if fs.Lookup(name) == nil {
			define()
			added[name] = true
		}
	}
	add("host", func() {
		fs.Func("host", "run on `TARGET`: [user@]host or ssh://[user@]host[:port][/datadir] (repeatable)", func(s string) error {
			f.targets = append(f.targets, s)
			return nil
		})
	})
	add("hosts", func() {
		fs.Func("hosts", "run on each target listed in `FILE`, one a line (# comments, blank lines)", func(path string) error {
			file, err := os.Open(path)
			if err != nil {
				return err
			}
			defer file.Close()
			targets, err := fleet.ReadHosts(file)
			if err != nil {
				return err
			}
			if len(targets) == 0 {
				return errors.Errorf("%s names no target", path)
			}
			f.targets = append(f.targets, targets...)
			return nil
		})
	})
	add("ssh-option", func() {
		fs.Func("ssh-option", "pass `KEY=VALUE` to ssh as -o KEY=VALUE (repeatable)", func(s string) error {
			if err := fleet.CheckSSHOption(s); err != nil {
				return errors.New("want KEY=VALUE")
			}
			f.sshOptions = append(f.sshOptions, s)
			return nil
		})
	})
	add("sudo", func() { fs.BoolVar(&f.sudo, "sudo", f.sudo, "run wrench on the targets as root, with sudo -n") })
	add("parallel", func() {
		fs.Func("parallel", "run on at most `N` targets at a time (default 16)", func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return errors.New("want a whole number, at least 1")
			}
			f.parallel = n
			return nil
		})
	})
	add("timeout", func() {
		fs.Func("timeout", "give each target `D` to connect, copy wrench and finish (default 30s)", func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return errors.New("want a duration above 0, such as 30s")
			}
			f.timeout = d
			return nil
		})
	})
	add("pick", func() {
		fs.Func("pick", "run on `one|N|P%` of the targets, chosen at random (P% rounds up)", func(s string) error {
			if _, err := fleet.ParsePick(s); err != nil {
				return errors.New("want one, a count, or a percentage such as 34%")
			}
			f.pick = s
			return nil
		})
	})
	add("seed", func() {
		fs.Func("seed", "choose --pick's targets with seed `S`, to repeat a choice", func(s string) error {
			seed, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return errNotANumber
			}
			f.seed = seed
			return nil
		})
	})
	add("remote-wrench", func() {
		fs.Func("remote-wrench", "run the wrench installed at `PATH` on the targets, rather than copy this one", func(s string) error {
			if err := fleet.CheckRemoteWrench(s); err != nil {
				return errors.New("write the path with letters, digits and _ . / ~ + - only")
			}
			f.remoteWrench = s
			return nil
		})
	})
	add("any", func() {
		fs.BoolVar(&f.any, "any", f.any, "done when one target succeeds; the others are stopped (not for commands that write)")
	})
	add("json", func() { fs.BoolVar(&f.json, "json", f.json, "print one JSON array, an object per target") })
	return added
}

// given is which fleet flags a command line set, over both flag sets.
func givenFleetFlags(sets ...*flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	for _, fs := range sets {
		fs.Visit(func(fl *flag.Flag) {
			for _, name := range fleetFlagNames {
				if fl.Name == name {
					given[name] = true
				}
			}
		})
	}
	return given
}

// fleetRun is one subcommand to run on many targets, checked.
type fleetRun struct {
	cmd      *command
	targets  []fleet.Target
	args     []string // the subcommand and its arguments, as the targets run them
	dataDir  string   // --datadir, when given, for targets that name none
	json     bool     // print the results as JSON
	result   bool     // the subcommand was asked for JSON too
	opts     fleet.Options
	pickNote string // what --pick chose, for stderr
}

// prepareFleet checks everything about a run over many targets that can
// be checked here, so that a wrong command line runs nothing anywhere.
// args are the subcommand's arguments as given (flags included), and
// positional the ones that are not flags; fs is its flag set, parsed.
// fleetNames are the fleet flags registered on fs, which are not the
// command's own.
func prepareFleet(cmd *command, f *fleetFlags, given map[string]bool, fs *flag.FlagSet, fleetNames map[string]bool, args, positional []string, dataDir string, dataDirGiven bool) (*fleetRun, error) {
	if cmd.local {
		return nil, usagef(cmd.name, "%s runs on this machine only: --host and --hosts do not apply", cmd.name)
	}
	if given["seed"] && !given["pick"] {
		return nil, usagef(cmd.name, "--seed chooses --pick's targets: give --pick too")
	}
	if f.any && cmd.writes {
		return nil, usagef(cmd.name, "--any stops the other targets part way, which a write must not be: use it with commands that only look or wait")
	}
	r := &fleetRun{cmd: cmd}
	seen := map[string]bool{}
	for _, s := range f.targets {
		t, err := fleet.ParseTarget(s)
		if err != nil {
			return nil, usagef(cmd.name, "%v", err)
		}
		if seen[s] {
			return nil, usagef(cmd.name, "target %s is given twice", s)
		}
		seen[s] = true
		r.targets = append(r.targets, t)
	}
	if f.pick != "" {
		spec, _ := fleet.ParsePick(f.pick)
		k, err := spec.Of(len(r.targets))
		if err != nil {
			return nil, usagef(cmd.name, "--pick %s: %v", f.pick, err)
		}
		if !given["seed"] {
			f.seed = fleet.NewSeed()
		}
		var chosen []fleet.Target
		var names []string
		for _, i := range fleet.Pick(len(r.targets), k, f.seed) {
			chosen = append(chosen, r.targets[i])
			names = append(names, r.targets[i].Given)
		}
		r.pickNote = fmt.Sprintf("--pick %s --seed %d chose %d of %d targets: %s", f.pick, f.seed, k, len(r.targets), strings.Join(names, " "))
		r.targets = chosen
	}
	if cmd.validate != nil {
		if err := cmd.validate(positional); err != nil {
			return nil, err
		}
	}

	// What the targets run: the subcommand's own arguments and flags as
	// given, less the fleet's and --datadir, which arrive otherwise.
	r.json = f.json
	hasJSON := fs.Lookup("json") != nil && !fleetNames["json"]
	r.args = []string{cmd.name}
	if r.json && hasJSON {
		r.args = append(r.args, "--json")
		r.result = true
	}
	r.args = append(r.args, forwardArgs(fs, args, func(name string) bool {
		return name == "datadir" || name == "json" || fleetNames[name]
	})...)
	if dataDirGiven {
		r.dataDir = dataDir
	}

	r.opts = fleet.Options{
		SSHOptions:   f.sshOptions,
		Sudo:         f.sudo,
		Parallel:     f.parallel,
		Timeout:      f.timeout,
		RemoteWrench: f.remoteWrench,
		Any:          f.any,
	}
	r.opts.Timeout += ownWait(fs, fleetNames)
	return r, nil
}

// ownWait is how long the subcommand itself may wait on a target: wait's
// --timeout, or a writer's --wait[=D]. Each target gets that long, and
// the fleet's --timeout more for connecting and copying, so a wait that
// would end in time on the target is not cut short here.
func ownWait(fs *flag.FlagSet, fleetNames map[string]bool) time.Duration {
	if own := fs.Lookup("timeout"); own != nil && !fleetNames["timeout"] {
		if g, ok := own.Value.(flag.Getter); ok {
			if d, ok := g.Get().(time.Duration); ok && d > 0 {
				return d
			}
		}
	}
	if w := fs.Lookup("wait"); w != nil {
		if wf, ok := w.Value.(*waitFlag); ok && wf.on {
			return wf.d
		}
	}
	return 0
}

// forwardArgs returns args without the flags drop names (and their
// values), everything else byte for byte as given. It walks args as
// parseInterspersed does, so it agrees on what is a flag.
func forwardArgs(fs *flag.FlagSet, args []string, drop func(name string) bool) []string {
	out := []string{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(out, args[i:]...)
		}
		if !isFlag(arg) {
			out = append(out, arg)
			continue
		}
		n := 1
		if takesValue(fs, arg) && i+1 < len(args) {
			n = 2
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		if !drop(name) {
			out = append(out, args[i:i+n]...)
		}
		i += n - 1
	}
	return out
}

// runFleet runs r on its targets and reports each: the run's output on
// stdout, what --pick chose and what changed on stderr.
func (e *env) runFleet(r *fleetRun) int {
	if r.pickNote != "" {
		fmt.Fprintln(e.stderr, programName+": "+r.pickNote)
	}
	var stdin []byte
	if r.cmd.readsStdin {
		var err error
		stdin, err = io.ReadAll(io.LimitReader(e.stdin, wrench.MaxFileSize+1))
		if err != nil {
			return e.fail(r.cmd.name, errors.Annotate(err, "reading stdin"))
		}
	}
	if r.opts.RemoteWrench == "" {
		exe, err := os.Executable()
		if err == nil {
			r.opts.Binary, err = fleet.OpenBinary(exe, runtime.GOOS, runtime.GOARCH)
		}
		if err != nil {
			return e.fail(r.cmd.name, errors.Annotate(err, "finding this wrench's executable to copy to the targets (--remote-wrench names an installed one instead)"))
		}
	}
	request := func(t fleet.Target) *fleet.Request {
		dataDir := r.dataDir
		if t.DataDir != "" {
			dataDir = t.DataDir
		}
		return fleet.NewRequest(r.args, dataDir, stdin)
	}
	results := fleet.Run(context.Background(), r.targets, request, r.opts)
	var err error
	if r.json {
		err = fleet.WriteJSON(e.stdout, results, r.result, r.cmd.writes)
	} else {
		err = fleet.WriteText(e.stdout, results)
	}
	if err != nil {
		return e.fail(r.cmd.name, err)
	}
	if r.cmd.writes {
		fmt.Fprintln(e.stderr, programName+": "+r.cmd.name+": "+fleet.Changes(results))
	}
	return fleet.ExitCode(results, r.opts.Any)
}

// runRemote is the remote end of a fleet run: "wrench __fleet", with the
// request on stdin (see internal/fleet).
func runRemote() int {
	return fleet.Serve(os.Stdin, os.Stdout, func(args []string, stdin io.Reader, stdout, stderr io.Writer) fleet.Ran {
		e := &env{stdin: stdin, stdout: stdout, stderr: stderr, remote: true}
		code := e.run(args)
		if code == exitUsage && e.write == fleet.WriteUnknown {
			e.write = fleet.NoWrite // a command line of the wrong shape runs nothing
		}
		return fleet.Ran{ExitCode: code, Error: e.errLine, Wrote: e.write}
	}, func() {
		// The local command is gone: nobody reads what this one
		// would say.
		os.Exit(exitFailed)
	})
}
