// Package sys holds the system calls wrench makes to look at what is on
// disk, and reduces what they say to the facts package trust judges.
// IsActive (the root package's wrench_unix.go and wrench_windows.go) and
// the writer's view of the wrench directory (package store) both call it,
// so a file is opened, inspected and read the same way by each.
//
// Files come in platform twins, as package os names them: key_unix.go and
// key_windows.go define FileKey, each platform's identity and state of a
// file. A _linux file and a _unix file of one topic are twins too: the
// _unix one serves the unix systems the _linux one does not, as its build
// line says (stat_linux.go is the raw system call of 64-bit Linux only).
//
// The package logs nothing and imports only package trust of the project.
package sys
