package wrench_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/juju/loggo/v2"
	"golang.org/x/sys/unix"

	"github.com/go-wrench/wrench"
)

// The benchmarks measure each state of IsActive beside the floor: one
// allocation-free fstatat of a missing path, in the same run. Run them with
//
//	go test -run '^$' -bench . -benchmem
//
// and divide each ns/op by BenchmarkFloorFstatatMissing's.

// benchDataDir makes a data directory with a trusted wrench directory
// holding category "agent", and points wrench at it.
func benchDataDir(b *testing.B, content string) string {
	dataDir := b.TempDir()
	dir := filepath.Join(dataDir, "wrench")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	if content != "" {
		path := filepath.Join(dir, "agent")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
		os.Chmod(path, 0o644)
	}
	old := wrench.SetDataDir(dataDir)
	b.Cleanup(func() { wrench.SetDataDir(old) })
	// Refusals are logged once; keep them out of the figures' output.
	oldWriter, err := loggo.ReplaceDefaultWriter(&loggo.TestWriter{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { loggo.ReplaceDefaultWriter(oldWriter) })
	return dataDir
}

func benchIsActive(b *testing.B, feature string, want bool) {
	if got := wrench.IsActive("agent", feature); got != want {
		b.Fatalf("IsActive(agent, %s) = %v, want %v", feature, got, want)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wrench.IsActive("agent", feature)
	}
}

func BenchmarkFloorFstatatMissing(b *testing.B) {
	dataDir := benchDataDir(b, "")
	pathz := append([]byte(filepath.Join(dataDir, "wrench", "agent")), 0)
	var st unix.Stat_t
	if errno := wrench.RawLstat(pathz, &st); errno != unix.ENOENT {
		b.Fatalf("stat of the missing path: %v", errno)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wrench.RawLstat(pathz, &st)
	}
}

// BenchmarkFloorTwoStats is the least a file that exists can cost: a stat
// of its path and a stat of the wrench directory's path (which must still
// name the directory the file was read from), nothing around them. What
// IsActive adds is the difference.
func BenchmarkFloorTwoStats(b *testing.B) {
	dataDir := benchDataDir(b, "x\n")
	dir := filepath.Join(dataDir, "wrench")
	pathz := append([]byte(filepath.Join(dir, "agent")), 0)
	dirz := append([]byte(dir), 0)
	var st unix.Stat_t
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if wrench.RawLstat(pathz, &st) != 0 || wrench.RawLstat(dirz, &st) != 0 {
			b.Fatal("stat failed")
		}
	}
}

func BenchmarkDisabled(b *testing.B) {
	benchDataDir(b, "x\n")
	defer wrench.SetEnabled(wrench.SetEnabled(false))
	benchIsActive(b, "x", false)
}

func BenchmarkNoWrenchDirectory(b *testing.B) {
	dataDir := benchDataDir(b, "")
	os.Remove(filepath.Join(dataDir, "wrench"))
	benchIsActive(b, "x", false)
}

func BenchmarkNoCategoryFile(b *testing.B) {
	benchDataDir(b, "")
	benchIsActive(b, "x", false)
}

func BenchmarkFeatureMissing(b *testing.B) {
	benchDataDir(b, "other\nanother 2*on\n")
	benchIsActive(b, "x", false)
}

func BenchmarkFeatureMatching(b *testing.B) {
	benchDataDir(b, "other\nx\n")
	benchIsActive(b, "x", true)
}

func BenchmarkCountedChain(b *testing.B) {
	benchDataDir(b, "x 2*on->1*off->repeat\n")
	benchIsActive(b, "x", true)
}

func BenchmarkChanceRule(b *testing.B) {
	benchDataDir(b, "x 100%on\n")
	benchIsActive(b, "x", true)
}

func BenchmarkRefusedFile(b *testing.B) {
	dataDir := benchDataDir(b, "x\n")
	os.Chmod(filepath.Join(dataDir, "wrench", "agent"), 0o666)
	benchIsActive(b, "x", false)
}

func BenchmarkRefusedDirectory(b *testing.B) {
	dataDir := benchDataDir(b, "x\n")
	os.Chmod(filepath.Join(dataDir, "wrench"), 0o777)
	benchIsActive(b, "x", false)
}

// BenchmarkRereadEveryCall is the approach wrench avoids, for comparison:
// stat the directory, then open, read and scan the file on every call.
func BenchmarkRereadEveryCall(b *testing.B) {
	dataDir := benchDataDir(b, "other\nx\n")
	dir := filepath.Join(dataDir, "wrench")
	path := filepath.Join(dir, "agent")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := os.Lstat(dir); err != nil {
			b.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		found := false
		for _, line := range bytes.Split(data, []byte("\n")) {
			if strings.TrimSpace(string(line)) == "x" {
				found = true
			}
		}
		if !found {
			b.Fatal("not found")
		}
	}
}
