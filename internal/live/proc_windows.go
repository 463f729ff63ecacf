package live

import (
	"strconv"
	"time"

	"golang.org/x/sys/windows"

	"github.com/go-wrench/wrench/internal/sys"
)

// selfUser is the user this process runs as: no uid, its SID.
func selfUser() (euid int, user string) {
	sid, _ := sys.CurrentUser()
	return -1, sid
}

// DirName is the name of the directory, in the wrench directory, that
// holds the states of the processes of this user: named by its SID.
func DirName() string {
	sid, _ := sys.CurrentUser()
	return DirPrefix + sid
}

// running gives the creation time of the process pid, as a FILETIME in
// decimal, or ok false when there is none. A process this user may not
// query is taken as running, with the start it would need: it exists,
// and its state cannot be told from another's.
func running(pid int) (start string, euid int, ok bool) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err == windows.ERROR_ACCESS_DENIED {
		return unknownStart, -1, true
	}
	if err != nil {
		return "", -1, false
	}
	defer windows.CloseHandle(h)
	var code uint32
	if windows.GetExitCodeProcess(h, &code) == nil && code != 259 { // STILL_ACTIVE
		return "", -1, false
	}
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return unknownStart, -1, true
	}
	return strconv.FormatInt(created.Nanoseconds()/100, 10), -1, true
}

// startOf is this process's creation time, as running gives it and as a
// time.
func startOf(pid int) (string, time.Time) {
	start, _, ok := running(pid)
	if !ok || start == unknownStart {
		return "", time.Time{}
	}
	n, _ := strconv.ParseInt(start, 10, 64)
	return start, time.Unix(0, n*100).UTC()
}
