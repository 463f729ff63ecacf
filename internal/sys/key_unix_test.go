//go:build unix

package sys

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestKeyHoldsModeAndOwner proves a chmod or chown shows in the cache key
// even when the times do not move, as on a file system whose timestamps
// are too coarse to tell two changes apart.
func TestKeyHoldsModeAndOwner(t *testing.T) {
	base := unix.Stat_t{Dev: 1, Ino: 2, Size: 3, Mode: unix.S_IFREG | 0o644, Uid: 0}
	base.Mtim.Sec, base.Ctim.Sec = 4, 5
	for name, change := range map[string]func(*unix.Stat_t){
		"mode":  func(st *unix.Stat_t) { st.Mode = unix.S_IFREG | 0o664 },
		"owner": func(st *unix.Stat_t) { st.Uid = 1000 },
		"inode": func(st *unix.Stat_t) { st.Ino = 9 },
		"size":  func(st *unix.Stat_t) { st.Size = 9 },
		"mtime": func(st *unix.Stat_t) { st.Mtim.Nsec = 9 },
		"ctime": func(st *unix.Stat_t) { st.Ctim.Nsec = 9 },
		"type":  func(st *unix.Stat_t) { st.Mode = unix.S_IFIFO | 0o644 },
	} {
		changed := base
		change(&changed)
		if KeyOf(&changed) == KeyOf(&base) {
			t.Errorf("a change of %s leaves the key as it was", name)
		}
	}
	same := base
	if KeyOf(&same) != KeyOf(&base) {
		t.Errorf("the same state gives another key")
	}
}
