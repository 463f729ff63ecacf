// Package wrench injects faults into a running program when a file says so.
//
// Code keeps a check at each point where a failure is worth provoking:
//
//	if wrench.IsActive("machine-agent", "refuse-upgrade") {
//		return errors.New("refusing upgrade: wrench in the works")
//	}
//
// and whoever runs the system drops a rule into the category's file, here
// /var/lib/wrench/machine-agent, to make that point fail, fail sometimes,
// slow down, crash or hold until released. There is no restart, no rebuild
// and no network port. By default a call answers from a snapshot of the
// verified, parsed category files that a watcher keeps fresh, in a few
// nanoseconds and without allocating, so checks can stay in production
// code; WRENCH_EXACT=1 makes every call look at the disk itself instead
// (see Freshness). An unchanged file is never read or parsed again.
//
// # Freshness
//
// In watched mode, the default, the first enabled call starts one watcher
// for the process: one fsnotify watcher (an inotify instance on Linux,
// ReadDirectoryChangesW on Windows, kqueue on macOS and the BSDs) with a
// watch on the wrench directory and one on the data directory above it,
// for the wrench directory appearing, going or being renamed, and one
// goroutine of its own besides the one fsnotify reads events on. An event on a category file
// looks at that file again; an event on the directory itself, or a lost
// event, looks at every category again; and the watcher looks at every
// category twice a second whatever the events said, which catches what
// events cannot show (a directory above the data directory renamed, a file
// written through a hard link elsewhere, a file system that sends no
// events, an ACL change on Windows, which sends none). Each look applies
// exactly the trust checks of exact mode, on the descriptor read: the
// snapshot never holds a rule the per-call check would have refused when
// the file was read. Only categories this process has asked about are
// looked at, so a file no call asks for is never read or logged.
//
// So, in watched mode:
//
//   - a write this process makes with Set, Unset, Release, Apply or Clear is
//     seen by its very next call;
//   - a write by another process (the wrench command, say) is seen as soon as
//     the watcher hears of it: tens of microseconds typically, a few
//     milliseconds on a loaded machine, and within a second whatever
//     happens;
//   - Sync returns once every change made before it is visible: a test that
//     changes files by other means than this package's writers calls it
//     before it asks;
//   - calls paused in a rule wake on the change itself, not by polling.
//
// The watcher stops when wrench is disabled (the next enabled call starts
// another), when SetDataDir moves to another directory, and when exact
// mode is chosen; it leaves nothing open behind.
//
// In exact mode (WRENCH_EXACT=1 in the environment at start-up, or
// SetExact(true)) every call sees the disk as it is at that call: a
// rename, removal, touch, chmod or chown between two calls changes the
// second answer. That costs a system call or two per call: on 64-bit Linux
// one stat when there is no file and two (the file's path and the wrench
// directory's) when there is, with no allocation; elsewhere on unix
// (32-bit Linux included) each stat copies the path; on Windows each call
// opens the directory and the file and reads their security descriptors,
// since an ACL change need not show in any timestamp. A paused call looks
// at its file every 10ms. Exact mode is also the fallback of a process
// that cannot watch (no inotify instance left, a platform fsnotify does
// not serve): it logs that once at WARNING, with the reason.
//
// The modes differ in one more way a test can see: a rule's counts end
// when the process finds its file gone (see Triggers). In exact mode that is
// a call finding it gone; in watched mode it is the watcher, which looks
// on every event, and the process's own writes, which it always sees: so
// Unset then Set of a rule, with no call between, starts the rule afresh in
// watched mode and keeps its counts in exact mode.
//
// # The switch and the directory
//
// Category files live in filepath.Join(DataDir(), "wrench"): /var/lib/wrench
// by default, %ProgramData%\wrench on Windows. SetDataDir moves it, and
// drops every cached file and count. Wrench is enabled by default;
// SetEnabled(false) makes every IsActive false at once and wakes every call
// sleeping or paused in a rule. Test suites call it in their base suite's
// set-up, so no file on the machine can change a test:
//
//	func (s *baseSuite) SetUpSuite(c *gc.C) {
//		wrench.SetEnabled(false)
//	}
//
// A test that wants faults turns wrench back on for itself and points it at
// its own directory:
//
//	defer wrench.SetEnabled(wrench.SetEnabled(true))
//	defer wrench.SetDataDir(wrench.SetDataDir(c.MkDir()))
//
// Built with the nowrench tag, IsActive is a constant false the compiler
// inlines away, whatever is on disk.
//
// # The file
//
// A category file is UTF-8 text, one rule a line:
//
//	# lines starting with # are comments; blank lines are ignored
//	refuse-upgrade                      # a bare feature: always active
//	fail-lease     30%on                # active on about 30% of calls
//	run-hook       2*on->1*off->repeat  # active 2 calls out of every 3
//	slow-dial      sleep(2s)            # each call sleeps 2s, then goes on (false)
//	start-hook     pause                # calls block until released
//
// A line is FEATURE [TRIGGER] [# comment], its fields split on spaces and
// tabs; a trailing \r is ignored, so is a missing last newline. A bare
// feature means on: the original wrench format, one feature a line, works
// unchanged. "#" starts a comment only at the start of a field, so "on#x" is
// a bad trigger. The first valid line naming a feature wins. A line that
// does not parse is skipped and logged with file:line; the other lines
// count.
//
// A UTF-8 byte-order mark at the very start of a file (as Notepad writes)
// is skipped: it is not part of the first feature, and List and Check say
// the file has one. A feature name may not hold an invisible formatting
// character (a byte-order mark elsewhere, a zero-width space, a
// bidirectional override): such a line is skipped and logged like any line
// that does not parse, rather than silently naming a feature no call site
// asks for.
//
// Category names are 1 to 64 of A-Z a-z 0-9 . _ - and do not start with
// ".". Any other name makes IsActive false and logs an error: no path ever
// leaves the wrench directory.
//
// Asking many distinct categories is safe: each call costs the same however
// many were asked before. wrench remembers at most 1024 categories that had
// no file when first asked; past that a new category with no file costs one
// stat per call and is not remembered, while a category whose file exists
// is always remembered, so its rules' counts carry on.
//
// # Triggers
//
// A trigger is a chain of terms, each [PROB%][COUNT*]ACTION[(ARG)]:
//
//	trigger = term { "->" term } [ "->repeat" ]
//	term    = [ PROB "%" ] [ COUNT "*" ] action [ "(" ARG ")" ]
//
// The actions:
//
//	on         IsActive returns true ("return" is the same)
//	off        IsActive returns false
//	sleep(D)   sleeps D, then returns false; D is a Go duration (250ms, 2s) or bare milliseconds (250)
//	pause      blocks until the file changes (rewritten, touched, removed) or wrench is disabled,
//	           then the call is evaluated afresh
//	panic      panics with an *InjectedPanic naming category and feature
//	exit(N)    logs, then ends the process with status N (default 1)
//	print      logs that the point was reached, returns false
//
// And the modifiers, one example each:
//
//	30%on                 a chance: fires on about 30% of calls (12.5% and 100% work too)
//	3*on                  a count: fires 3 times, then the rule is spent (false)
//	1*off->on             a chain: the first call passes, every later one fails
//	2*on->1*off->repeat   repeat: true, true, false, true, true, false, ...
//	50%2*on->off          both: each call has an even chance to fire on, twice in all
//
// Each call walks the terms in order and skips the spent ones. A term with
// a chance draws: on a miss the walk goes to the next term. The first term
// that passes fires: its count goes down by one, its action runs, the walk
// stops. If no term fires, IsActive is false. When every term has a count
// and all are spent, ->repeat starts the counts over and walks again in the
// same call; without it the rule is spent. ->repeat after a term without a
// count is a syntax error.
//
// PROB is checked on its digits as written: above 0 and at most 100, so
// 100.00000000000000001% is an error, not 100%. It is held as the nearest
// float64, so a chance with more digits than that holds reads back rounded
// (99.99999999999999999% lists as 100%). COUNT must fit in an int.
//
// Counts live in the process, per rule. A rule keeps its counts (and its
// place in its chain) when the file is rewritten, touched or replaced, as
// long as its own line, feature and trigger, is unchanged; a new or changed
// line starts fresh. So Set, Unset or Release of one feature never restarts
// another's counts, and setting a spent rule to the same trigger leaves it
// spent: to re-arm it, set a different trigger (1*return says what 1*on
// says, on a new line), or unset it and set it again once the process has
// read the file without it. A file found missing or refused starts every
// rule fresh when it is read again. Two processes reading one file count
// separately.
//
// Releases add up exactly: the line K*off->pause means K calls pass in all,
// then calls pause, and Release adds to K. A process that runs throughout
// lets exactly the sum of every release through, whether it read each
// release or only the last; a process that starts later reads only the
// line and lets K calls through. Setting the rule to pause again starts the
// sum from 0 in every process that reads that line; one that misses it
// (reading only after the next release) goes on from its old sum.
//
// Chance is replayable: each rule draws from a stream of its own, made
// from the process's seed, its category and its feature, so one rule's
// draws never shift another's. The seed is random unless WRENCH_SEED=N is
// in the environment; Seed returns it, and a chance rule's first firing
// logs it. The same seed and the same calls make the same
// decisions.
//
// Sleeping and paused calls hold no lock: many can wait at one point, and
// every other point keeps answering.
//
// Users of FreeBSD's fail(9) or etcd's gofail will find the same terms, with
// these differences: a chance may be a whole number (30%) or a decimal
// (12.5%); a count goes down only when its own term fires, not when the walk
// passes it; ->repeat is wrench's own; and the file, not an API call or an
// environment variable, is what arms a point.
//
// # Trust
//
// The files arm faults in production agents, so only the agent's own user
// or root may write them. A rule counts only when the wrench directory is a
// real directory (not a symlink) and the category file a regular file (not
// a symlink, FIFO, device or directory; opening it never blocks), each owned
// by the process's effective user or root and writable by nobody else, and
// the file is at most 64 KiB. On Windows the owner must be the process's
// user, SYSTEM or Administrators, and no ACE may grant any other principal
// write, append, delete, WRITE_DAC or WRITE_OWNER. Everything is checked on
// the descriptor actually read. A directory or file that fails is ignored
// as a whole.
//
// # Logging
//
// Wrench logs through the loggo logger "wrench": ERROR for a refused
// directory or file, with the path and the exact reason, once per state of
// that file; WARNING for a line that does not parse, with file:line, once
// per file state; INFO for a rule's first firing in a file state (on,
// sleep, pause, panic, exit, print), DEBUG for later ones; TRACE for the
// rest (no directory, no file, switched off, an off term letting a call
// through; in watched mode these are logged when the watcher looks, not
// on every call). loggo's default level is WARNING, so first firings and the
// print action show only once the logger is raised, for instance with
// loggo.ConfigureLoggers("wrench=INFO").
//
// # Arming rules
//
// The wrench command (cmd/wrench) writes these files safely over SSH or by
// hand, and the same operations are functions of this package, so a Go test
// harness can arm, release and clear rules without shelling out:
//
//	defer wrench.SetDataDir(wrench.SetDataDir(c.MkDir()))
//	err := wrench.Set("machine-agent", "start-hook", "pause")
//	// ... start the agent, which holds at start-hook ...
//	err = wrench.Release("machine-agent", "start-hook", 1) // one call passes
//	err = wrench.Clear("machine-agent")                    // all of them do
//
// Set, Unset, Release, Apply and Clear go through the same parser and trust
// rules as IsActive, so they never write a rule IsActive would skip, nor
// edit a file it would refuse. Each write takes a lock shared with every
// other writer, writes a temporary file (mode 0644 on unix; on Windows it
// inherits the wrench directory's ACL) and renames it over the old one, so
// a reader never sees half a file. List says what the files say; Check and
// CheckUser say whether IsActive would honour them, and why not.
//
// CloudConfig arms a machine that does not exist yet: it returns the
// #cloud-config document whose write_files puts the rules in place at the
// machine's first boot, before its agents start.
//
// Every one of them returns an error naming the data directory when it does
// not exist or is not a directory: a mistyped directory never looks like
// "nothing is armed". Set and Unset parse the content they are about to
// write and write it only if IsActive would read exactly the rule asked for
// (for Unset, no rule for the feature). Clear removes everything it can
// before it reports, in one error, every entry it could not remove.
//
// # Live state: what every agent is doing
//
// A process publishes what its rules are doing for every category it has
// read (asked about, with a rules file found): its pid, start time,
// executable, user and chance seed, the version of each file it serves
// (the SHA-256 of its content), and per rule the calls evaluated, times
// fired, remaining counts, calls paused and sleeping now and the last
// firing, with the features asked that have no rule (a typo shows there).
// It writes WRENCHDIR/.live-UID/PID from a goroutine of its own, off the
// hot path, within 50 ms of a change; a process that never sees a rules
// file writes nothing. SetEnabled(false) and SetDataDir remove it.
//
// Status reads every live process's state, with the trust rules of rules
// files (state another user could have written is ignored, with why), and
// Wait blocks until a condition holds, so a test harness steps an agent
// with no sleep and no log scraping ("manual mode"):
//
//	wrench.SetDataDir(agentDataDir)
//	for _, hook := range []string{"install", "config-changed", "start"} {
//		wrench.Set("unit-agent", hook, "pause") // hold every hook
//	}
//	// ... the agent runs its hooks, each held ...
//	for _, hook := range []string{"start", "install", "config-changed"} {
//		if _, err := wrench.Wait(ctx, "unit-agent", hook, wrench.WhenPaused(1)); err != nil {
//			return err // ctx ended: the error wraps ctx.Err()
//		}
//		wrench.Release("unit-agent", hook, 1) // this one, and only this one, goes on
//	}
//
// WhenFired(n) waits for n firings since the rule's line last changed, and
// WhenLoaded (or WaitLoaded, after a write) until every live process
// reading the category serves its file as it is now. A process in exact
// mode, which checks the disk on every call, counts as serving it: its
// next call reads it afresh.
package wrench
