// Package fleet runs one wrench subcommand on many machines over the
// system's OpenSSH client: the mechanism behind the command's --host.
//
// The pieces, in the order a run uses them:
//
//   - Targets: [user@]host or ssh://[user@]host[:port][/datadir], parsed
//     and checked before anything runs (ParseTarget, ReadHosts).
//   - Picking: --pick one|N|P% chooses a repeatable subset (ParsePick,
//     Pick).
//   - The wire: what crosses ssh. The remote command line is fixed and
//     holds no user data; the request (arguments, data directory, stdin)
//     travels on ssh's stdin as JSON whose byte strings are base64, so
//     no shell ever splits or interprets a user's bytes (Request,
//     Response).
//   - The remote binary: unless told to use an installed wrench, the
//     command copies its own executable into a per-user cache on the
//     target, named by its sha256 digest, and checks that digest on the
//     target before each use (Install, the commands in ssh.go).
//   - Running: targets in parallel, each with its own deadline (Run).
//   - Reporting: one line per target, the exit status (Report).
//
// The package runs no subcommand itself: the remote end (Serve) is given
// the function that does, so the command stays the only place that knows
// what a subcommand is.
package fleet
