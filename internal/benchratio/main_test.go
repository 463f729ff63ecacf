package main

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	in := `goos: linux
BenchmarkFloorFstatatMissing-2   	 3072697	       400.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkSlow-2   	 100	       1000 ns/op	       1240 B/op	       8 allocs/op
BenchmarkFloorFstatatMissing-2   	 3072697	       500.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkSlow-2   	 100	       1100 ns/op	       1240 B/op	       8 allocs/op
BenchmarkFloorFstatatMissing-2   	 3072697	       410.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkSlow-2   	 100	       820 ns/op	       1240 B/op	       8 allocs/op
PASS
`
	results, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := printTable(&out, results); err != nil {
		t.Fatal(err)
	}
	want := "| benchmark | ns/op (median of 3) | × floor | B/op | allocs/op |\n|---|---:|---:|---:|---:|\n" +
		"| FloorFstatatMissing | 410.0 | 1.00 | 0 | 0 |\n" +
		"| Slow | 1000.0 | 2.44 | 1240 | 8 |\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestNoFloor(t *testing.T) {
	results, _ := parse(strings.NewReader("BenchmarkSlow-2 1 5 ns/op\n"))
	if err := printTable(&strings.Builder{}, results); err == nil || !strings.Contains(err.Error(), "FloorFstatatMissing") {
		t.Fatalf("want an error naming the floor, got %v", err)
	}
}
