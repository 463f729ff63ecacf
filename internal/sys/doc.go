// Package sys holds the system calls wrench makes to look at what is on
// disk, and reduces what they say to the facts package trust judges.
// IsActive (the root package's wrench_unix.go and wrench_windows.go) and
// the writer's view of the wrench directory (package store) both call it,
// so a file is opened, inspected and read the same way by each.
//
// Files come in platform twins, as package os names them: a _unix file
// serves every unix system and its _windows twin Windows (key_unix.go and
// key_windows.go define FileKey, each platform's identity and state of a
// file; open_unix.go and open_windows.go define OpenDir, OpenFile and
// ReadRules). A suffix always means that one set. Where a topic splits
// the unix systems further, its files are named for what they do, and
// their build lines say where: stat_syscall.go (Lstatz as the raw system
// call, 64-bit Linux) and stat_lstat.go (through unix.Lstat, the other
// unix systems); dirflags_opath.go (the directory opened with O_PATH,
// Linux) and dirflags_plain.go (opened for reading, the other unix
// systems).
//
// The package logs nothing and imports only package trust of the project.
package sys
