package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench"
)

// defaultWait is how long --wait and wait wait when no duration is given.
const defaultWait = 30 * time.Second

// waitFlag is --wait[=D]: a flag that may stand alone, as a boolean does
// ("--wait", waiting defaultWait), or take a duration ("--wait=5s"). As a
// boolean flag it never takes the next argument for its value.
type waitFlag struct {
	on bool
	d  time.Duration
}

func (w *waitFlag) IsBoolFlag() bool { return true }

func (w *waitFlag) String() string {
	if w == nil || !w.on {
		return ""
	}
	return w.d.String()
}

func (w *waitFlag) Set(s string) error {
	switch s {
	case "true":
		w.on, w.d = true, defaultWait
		return nil
	case "false":
		w.on = false
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return errors.New("not a positive duration (such as 30s)")
	}
	w.on, w.d = true, d
	return nil
}

// waitFlags adds --wait to a writer's flags.
func waitFlags(fs *flag.FlagSet, o *options) {
	fs.Var(&o.wait, "wait", "after writing, wait up to `D` (default 30s) until every live process reading the category serves the new file")
}

// waitHelp is what the writers' help says of --wait.
const waitHelp = `

With --wait[=D] it then waits, up to D (default 30s), until every live
process reading the category serves the file as it is now (see "wrench
help status"), and returns at once when no live process reads it. A
process in exact mode counts at once (its next call reads the file); a
watched one once it shows the new version. On timeout it prints the
processes that do not, and exits 1: the write stands. To step paused
calls, wait for what they did (wait --paused, --fired), not --wait alone.`

// written confirms a write of categories with --wait, if given. With no
// categories (clear of every one), it waits for every category a live
// process reads.
func written(e *env, o *options, categories ...string) error {
	if !o.wait.on {
		return nil
	}
	if len(categories) == 0 {
		st, err := wrench.Status()
		if err != nil {
			return err
		}
		for _, c := range st.Categories {
			categories = append(categories, c.Category)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.wait.d)
	defer cancel()
	for _, category := range categories {
		st, err := wrench.WaitLoaded(ctx, category)
		if errors.Is(err, context.DeadlineExceeded) {
			var behind []string
			if cs := st.Category(category); cs != nil {
				for _, p := range cs.Processes {
					if !p.Loaded {
						behind = append(behind, strconv.Itoa(p.PID))
					}
				}
			}
			printStatus(e.stdout, st)
			return errors.Errorf("written, but after %v %d %s reading %s %s not serve it yet (pid %s): the write stands",
				o.wait.d, len(behind), plural(len(behind), "process", "processes"), category, plural(len(behind), "does", "do"), strings.Join(behind, ", "))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// unaskedWarning is the warning set gives when live processes read
// category and none has ever asked for feature: most likely a typo in the
// feature, or in the agent. It is "" when no live process reads the
// category, or when the state cannot be read: set itself reports what is
// wrong. It is worked out before the write, which changes what the
// processes show, and printed only after the write succeeds, so a failed
// set's first line is its failure.
func unaskedWarning(category, feature string) string {
	st, err := wrench.Status(category)
	if err != nil {
		return ""
	}
	cs := st.Category(category)
	if cs == nil || !cs.Unasked(feature) {
		return ""
	}
	asked := map[string]bool{}
	var names []string
	for _, p := range cs.Processes {
		for _, r := range p.Rules {
			if (r.Evaluated > 0 || r.Asked) && !asked[r.Feature] {
				asked[r.Feature] = true
				names = append(names, shown(r.Feature))
			}
		}
		for _, u := range p.Unruled {
			if !asked[u.Feature] {
				asked[u.Feature] = true
				names = append(names, shown(u.Feature))
			}
		}
	}
	they := "they have asked for nothing yet"
	if len(names) > 0 {
		they = "they ask for " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s: set: warning: no live process reading %s has asked for %s (%s)\n",
		programName, shown(category), shown(feature), they)
}

// statusCommand is "wrench status".
var statusCommand = &command{
	name:    "status",
	args:    "[--json] [CATEGORY...]",
	summary: "show what every live process does with its rules",
	help: `Shows, per category (the named ones, or every category a live process
reads), each live process that reads it: pid, executable, uid, start time,
chance seed, which version of the file it serves (and whether that is the
file as it is now), and per rule the calls evaluated, times fired, each
term's remaining count ("-" for a term without one), calls paused and
sleeping now, and when it last fired; then the features asked that have no
rule (a typo in a rule shows here). Live states another user could have
written are ignored, with the reason. The state of a process that has
exited is never shown, and is removed where the caller may.

Each process writes its state in DIR/wrench/.live-UID/PID within 50 ms of
a change. A process whose user cannot create that directory (a non-root
agent under a root-owned wrench directory) logs a warning; as root,
"install -d -o UID -m 0755 DIR/wrench/.live-UID" gives it one.`,
	min: 0, max: -1,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.BoolVar(&o.json, "json", false, "print JSON")
	},
	run: func(e *env, o *options, args []string) error {
		st, err := wrench.Status(args...)
		if err != nil {
			return err
		}
		if o.json {
			return printJSON(e.stdout, statusJSON(st))
		}
		printStatus(e.stdout, st)
		return nil
	},
}

// waitCommand is "wrench wait".
var waitCommand = &command{
	name:    "wait",
	args:    "CATEGORY FEATURE (--paused N | --fired N | --loaded) [--timeout D]",
	summary: "wait until calls are paused at a rule, it has fired, or a file is loaded",
	help: `Waits until the condition holds, then exits 0:

  --paused N   at least N calls are paused in FEATURE's rule now, over
               every live process reading CATEGORY
  --fired N    FEATURE's rule has fired at least N times since its line
               last changed, over every live process reading CATEGORY
  --loaded     every live process reading CATEGORY serves the file as it is
               now (FEATURE may be left out); at once when none reads it

After --timeout (default 30s) it prints the last state it saw, or that it
saw no live process reading CATEGORY, and exits 1. It reads the live
states every 20 ms; the agents do not poll.`,
	min: 1, max: 2,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.Func("paused", "wait for `N` calls paused", func(s string) error { return o.setCondition("paused", s) })
		fs.Func("fired", "wait for `N` firings", func(s string) error { return o.setCondition("fired", s) })
		fs.BoolFunc("loaded", "wait until every live process serves the file as it is now", func(s string) error {
			if s != "true" {
				return errors.New("takes no value")
			}
			return o.setCondition("loaded", "")
		})
		o.timeout = defaultWait
		fs.DurationVar(&o.timeout, "timeout", defaultWait, "give up after `D`")
	},
	run: func(e *env, o *options, args []string) error {
		if o.condName == "" {
			return usagef("wait", "want one of --paused N, --fired N or --loaded")
		}
		if o.timeout <= 0 {
			return usagef("wait", "--timeout %v is not a positive duration", o.timeout)
		}
		feature := ""
		if len(args) == 2 {
			feature = args[1]
		} else if o.condName != "loaded" {
			return usagef("wait", "want CATEGORY FEATURE with --%s", o.condName)
		}
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		st, err := wrench.Wait(ctx, args[0], feature, o.cond)
		if errors.Is(err, context.DeadlineExceeded) {
			if cs := st.Category(args[0]); cs == nil || len(cs.Processes) == 0 {
				fmt.Fprintf(e.stdout, "no live process reads %s\n", shown(args[0]))
			} else {
				printStatus(e.stdout, st)
			}
			what := shown(args[0])
			if feature != "" {
				what += ":" + shown(feature)
			}
			return errors.Errorf("timed out after %v waiting for %s in %s", o.timeout, o.cond, what)
		}
		return err
	},
}

// setCondition records wait's condition, refusing a second one.
func (o *options) setCondition(name, value string) error {
	if o.condName != "" && o.condName != name {
		return errors.Errorf("--%s and --%s cannot both be given", o.condName, name)
	}
	o.condName = name
	if name == "loaded" {
		o.cond = wrench.WhenLoaded()
		return nil
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		return errNotANumber
	}
	if n < 0 {
		return errors.New("is negative")
	}
	if name == "paused" {
		o.cond = wrench.WhenPaused(n)
	} else {
		o.cond = wrench.WhenFired(n)
	}
	return nil
}

// printStatus prints what Status found:
//
//	machine-agent: file 3f2a91c04b1e (serves: 2 of 2 processes)
//	  pid 4242 agent, uid 1001, started 2026-12-02T03:17:00Z, seed 42, exact: serves the file as it is now
//	    FEATURE         TRIGGER  LINE  EVALUATED  FIRED  REMAINING  PAUSED  SLEEPING  LAST FIRED
//	    refuse-upgrade  on       1     10         10     -          0       0         2026-12-02T03:18:00.5Z
//	    asked without a rule: refuse-upgrad (3 calls)
//	ignored /var/lib/wrench/.live-1002/77: is owned by uid 1003, not by uid 1002 or root
//
// Everything read from the disk is printed through shown.
func printStatus(w io.Writer, st wrench.LiveStatus) {
	if len(st.Categories) == 0 && len(st.Ignored) == 0 {
		fmt.Fprintln(w, "no live process reads any category")
	}
	for _, cs := range st.Categories {
		file := "no file"
		switch {
		case cs.Refused != "":
			file = "file refused by every process: " + shown(cs.Refused)
		case cs.Version != "":
			file = "file " + short(cs.Version)
		}
		if len(cs.Processes) == 0 {
			fmt.Fprintf(w, "%s: %s; no live process reads it\n", shown(cs.Category), file)
			continue
		}
		loaded := 0
		for _, p := range cs.Processes {
			if p.Loaded {
				loaded++
			}
		}
		fmt.Fprintf(w, "%s: %s (served by %d of %d %s)\n", shown(cs.Category), file, loaded, len(cs.Processes), plural(len(cs.Processes), "process", "processes"))
		for _, p := range cs.Processes {
			printProcess(w, p)
		}
	}
	for _, ig := range st.Ignored {
		fmt.Fprintf(w, "ignored %s: %s\n", shown(ig.Path), shown(ig.Reason))
	}
}

func printProcess(w io.Writer, p wrench.ProcessStatus) {
	who := fmt.Sprintf("uid %d", p.EUID)
	if p.EUID < 0 {
		who = "user " + shown(p.User)
	}
	started := ""
	if !p.Started.IsZero() {
		started = ", started " + p.Started.UTC().Format(time.RFC3339)
	}
	var serves string
	switch {
	case p.Refused != "":
		serves = "refuses the file: " + shown(p.Refused)
	case p.Version == "":
		serves = "serves no file"
	default:
		serves = "serves " + short(p.Version)
	}
	switch {
	case p.Exact:
		serves += "; exact, so it serves the file as it is now at its next call"
	case p.Loaded:
		serves += ", the file as it is now"
	default:
		serves += ", not the file as it is now"
	}
	fmt.Fprintf(w, "  pid %d %s, %s%s, seed %d: %s\n", p.PID, shown(p.Executable), who, started, p.Seed, serves)
	if len(p.Rules) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    FEATURE\tTRIGGER\tLINE\tEVALUATED\tFIRED\tREMAINING\tPAUSED\tSLEEPING\tLAST FIRED")
		for _, r := range p.Rules {
			last := "never"
			if !r.LastFired.IsZero() {
				last = r.LastFired.UTC().Format(time.RFC3339Nano)
			}
			fmt.Fprintf(tw, "    %s\t%s\t%d\t%d\t%d\t%s\t%d\t%d\t%s\n", shown(r.Feature), shown(r.Trigger), r.Line,
				r.Evaluated, r.Fired, remaining(r.Remaining), r.Paused, r.Sleeping, last)
		}
		tw.Flush()
	}
	for _, u := range p.Unruled {
		fmt.Fprintf(w, "    asked without a rule: %s (%d %s)\n", shown(u.Feature), u.Calls, plural(int(u.Calls), "call", "calls"))
	}
	if p.UnruledOthers > 0 {
		fmt.Fprintf(w, "    asked without a rule: more features (%d calls)\n", p.UnruledOthers)
	}
}

// remaining shows each term's remaining count, "-" for a term without one.
func remaining(left []int) string {
	parts := make([]string, len(left))
	for i, n := range left {
		parts[i] = "-"
		if n != wrench.Unlimited {
			parts[i] = strconv.Itoa(n)
		}
	}
	return strings.Join(parts, ",")
}

// short is the first 12 hex digits of a version: enough to tell versions
// apart on a screen; --json gives them whole.
func short(version string) string {
	if len(version) > 12 {
		return version[:12]
	}
	return version
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// status --json: a stable shape, as list's and check's (see README).

type jsonStatus struct {
	Categories []jsonLiveCategory `json:"categories"`
	Ignored    []jsonIgnored      `json:"ignored"`
}

type jsonLiveCategory struct {
	Category  string            `json:"category"`
	Version   string            `json:"version"`
	Refused   string            `json:"refused"`
	Processes []jsonLiveProcess `json:"processes"`
}

type jsonLiveProcess struct {
	PID           int            `json:"pid"`
	Started       string         `json:"started"`
	Executable    string         `json:"executable"`
	EUID          int            `json:"euid"`
	User          string         `json:"user"`
	Seed          string         `json:"seed"`
	Exact         bool           `json:"exact"`
	Published     string         `json:"published"`
	Version       string         `json:"version"`
	Refused       string         `json:"refused"`
	Loaded        bool           `json:"loaded"`
	Rules         []jsonLiveRule `json:"rules"`
	Unruled       []jsonUnruled  `json:"unruled"`
	UnruledOthers uint64         `json:"unruledOthers"`
}

type jsonLiveRule struct {
	Feature   string `json:"feature"`
	Trigger   string `json:"trigger"`
	Line      int    `json:"line"`
	Evaluated uint64 `json:"evaluated"`
	Fired     uint64 `json:"fired"`
	Remaining []int  `json:"remaining"`
	Paused    int64  `json:"paused"`
	Sleeping  int64  `json:"sleeping"`
	LastFired string `json:"lastFired"`
	Asked     bool   `json:"asked"`
}

type jsonUnruled struct {
	Feature string `json:"feature"`
	Calls   uint64 `json:"calls"`
}

type jsonIgnored struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// jsonTime is t in RFC 3339 with nanoseconds, or "" for the zero time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func statusJSON(st wrench.LiveStatus) jsonStatus {
	out := jsonStatus{Categories: []jsonLiveCategory{}, Ignored: []jsonIgnored{}}
	for _, cs := range st.Categories {
		jc := jsonLiveCategory{Category: cs.Category, Version: cs.Version, Refused: cs.Refused, Processes: []jsonLiveProcess{}}
		for _, p := range cs.Processes {
			jp := jsonLiveProcess{
				PID: p.PID, Started: jsonTime(p.Started), Executable: p.Executable, EUID: p.EUID, User: p.User,
				Seed: strconv.FormatUint(p.Seed, 10), Exact: p.Exact, Published: jsonTime(p.Published),
				Version: p.Version, Refused: p.Refused, Loaded: p.Loaded,
				Rules: []jsonLiveRule{}, Unruled: []jsonUnruled{}, UnruledOthers: p.UnruledOthers,
			}
			for _, r := range p.Rules {
				rem := r.Remaining
				if rem == nil {
					rem = []int{}
				}
				jp.Rules = append(jp.Rules, jsonLiveRule{
					Feature: r.Feature, Trigger: r.Trigger, Line: r.Line, Evaluated: r.Evaluated, Fired: r.Fired,
					Remaining: rem, Paused: r.Paused, Sleeping: r.Sleeping, LastFired: jsonTime(r.LastFired),
					Asked: r.Asked,
				})
			}
			for _, u := range p.Unruled {
				jp.Unruled = append(jp.Unruled, jsonUnruled(u))
			}
			jc.Processes = append(jc.Processes, jp)
		}
		out.Categories = append(out.Categories, jc)
	}
	for _, ig := range st.Ignored {
		out.Ignored = append(out.Ignored, jsonIgnored(ig))
	}
	return out
}
