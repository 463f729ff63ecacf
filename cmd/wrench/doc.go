// Command wrench drops, changes and inspects the rule files that make
// wrench.IsActive fail on purpose.
//
//	wrench [--datadir DIR] set     CATEGORY FEATURE [TRIGGER]  [--wait[=D]]
//	wrench [--datadir DIR] unset   CATEGORY FEATURE            [--wait[=D]]
//	wrench [--datadir DIR] release CATEGORY FEATURE [N]        [--wait[=D]]
//	wrench [--datadir DIR] apply   CATEGORY                    [--wait[=D]]  # rules from stdin
//	wrench [--datadir DIR] clear   [CATEGORY...]               [--wait[=D]]
//	wrench [--datadir DIR] list    [--json] [CATEGORY...]
//	wrench [--datadir DIR] check   [--json] [--uid UID] [CATEGORY...]
//	wrench [--datadir DIR] status  [--json] [CATEGORY...]
//	wrench [--datadir DIR] wait    CATEGORY FEATURE (--paused N | --fired N | --loaded) [--timeout D]
//	wrench [--datadir DIR] cloud-init [--owner USER[:GROUP]] CATEGORY  # rules from stdin
//	wrench help [COMMAND|triggers|fleet]
//	wrench --version
//
// Each subcommand is one call of the Go API in package wrench (Set, Unset,
// Release, Apply, Clear, List, Check, CheckUser, Status, Wait, WaitLoaded
// and CloudConfig), so the command and a Go
// test harness do exactly the same thing, through the parser and trust
// rules IsActive itself uses. --datadir defaults to $WRENCH_DATADIR when
// that is set, else to the library's default data directory (/var/lib on
// unix). The data directory must exist for every subcommand but cloud-init
// (whose directory is on the machine it arms): a missing one
// is an error naming it, never "nothing is armed". A --datadir whose base
// name is wrench, with no wrench directory inside, gets a hint on stderr:
// the rules go in DIR/wrench, so it is most likely the wrench directory
// itself.
//
// Flags may follow the arguments ("wrench check agent --json"); "--" ends
// the flags, for a feature or category that starts with "-" ("wrench set
// agent -- -odd-feature"). A negative number is an argument, not a flag.
// "wrench help set", "wrench help release" and "wrench help triggers" show
// the trigger language. --version prints the module version ("(devel)"
// when the build did not record one), the Go version and the platform.
//
// status shows what every live process reading a category does with its
// rules (SPEC 7); wait blocks until calls are paused at a rule, it has
// fired, or every live process serves the file as it is now, exiting 1
// with the last state seen on timeout; --wait on a write waits for the
// latter (30s unless --wait=D), at once when no live process reads the
// category, and exits 1 on timeout with the write standing. set warns on
// stderr of a feature no live process reading the category has asked for.
//
// Exit status: 0 done; 1 the operation failed, or check found a problem; 2
// the command line is wrong (unknown command or flag, missing or extra
// arguments, a count or uid that is not a number). Every error is one line
// on stderr: "wrench: COMMAND: what and where".
//
// Every subcommand but cloud-init and help also runs on other machines:
// --host TARGET (repeatable) or --hosts FILE, over the system's ssh, with
// --ssh-option, --sudo, --parallel, --timeout, --pick and --seed,
// --remote-wrench, --any and --json ("wrench help fleet"; the mechanism
// is internal/fleet). Decisions the contract left open: a target given
// twice is a usage error; --datadir goes to targets that name none, and
// $WRENCH_DATADIR does not; --any is refused on commands that write; a
// command with its own --timeout (wait) gets it plus the fleet's
// --timeout on each target; the copied binary lives in the login user's
// ~/.cache/wrench/DIGEST16 even under --sudo, and its sha256 is checked
// with the target's sha256sum; with --any, exit 0 when one target met the
// condition, whatever the others did. Over --host the exit status is 0
// all ok, 1 all reached and some failed, 3 some unreachable or timed out.
// The remote end is "wrench __fleet", which reads one request on stdin.
//
// The output of list --json and check --json is described in the README.
package main
