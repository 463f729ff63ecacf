package live

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of a process's start time
// in /proc: 100 on every Linux architecture Go runs on.
const clockTicks = 100

// running gives the start time (field 22 of /proc/PID/stat, clock ticks
// after boot) and effective uid of the process pid, or ok false when
// there is none.
func running(pid int) (start string, euid int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return "", -1, false
	}
	start, ok = startField(stat)
	if !ok {
		return "", -1, false
	}
	return start, euidOf(dir + "/status"), true
}

// startField is field 22 of a /proc/PID/stat line. The command name,
// field 2, is in parentheses and may hold spaces and parentheses itself,
// so fields are counted after its last ")".
func startField(stat []byte) (string, bool) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return "", false
	}
	fields := strings.Fields(string(stat[end+1:]))
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return "", false
	}
	return fields[19], true
}

// euidOf is the effective uid in a /proc/PID/status file, or -1.
func euidOf(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "Uid:"); ok {
			ids := strings.Fields(rest)
			if len(ids) >= 2 {
				if n, err := strconv.Atoi(ids[1]); err == nil {
					return n
				}
			}
			break
		}
	}
	return -1
}

// startOf is the start of this process, pid, and the wall-clock time it
// gives with the boot time from /proc/stat.
func startOf(pid int) (string, time.Time) {
	start, _, ok := running(pid)
	if !ok {
		return "", time.Time{}
	}
	ticks, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return start, time.Time{}
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return start, time.Time{}
	}
	for _, line := range strings.Split(string(stat), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				break
			}
			return start, time.Unix(boot, 0).Add(time.Duration(ticks) * time.Second / clockTicks).UTC()
		}
	}
	return start, time.Time{}
}
