package wrench

import (
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench/internal/sys"
)

// RawLstat is the one system call IsActive makes when there is no file,
// with nothing around it: the floor the benchmarks compare against.
func RawLstat(pathz []byte, st *unix.Stat_t) unix.Errno { return sys.Lstatz(pathz, st) }
