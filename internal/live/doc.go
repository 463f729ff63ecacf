// Package live is the live state of SPEC section 7: what each process's
// rules are doing, published by the process and read by the command.
//
// A process publishes one file, holding every category it reads, at
// WRENCHDIR/.live-USER/PID (USER is the effective uid on unix and the SID
// on Windows; a name starting with "." is never a category). The
// Publisher writes it off the hot path, from a goroutine of its own,
// atomically (a temporary file renamed over the old one), coalescing
// changes; Read reads every process's file with the trust rules of
// category files, judged for the user the file describes, and tells the
// state of a live process from one that has exited by its pid and start
// time, removing the latter's file where it can.
//
// The package knows nothing of rules files or IsActive: the root package
// gives the Publisher a function that collects the state, and turns what
// Read finds into its own Status. It imports internal/sys and
// internal/trust of the project, and logs to the "wrench" logger.
package live
