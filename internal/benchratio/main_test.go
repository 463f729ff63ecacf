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

func TestGofailColumnsAndScaling(t *testing.T) {
	in := `BenchmarkFloorFstatatMissing-2 1 1000 ns/op 0 B/op 0 allocs/op
BenchmarkGofailNotEnabled-2 1 10 ns/op 0 B/op 0 allocs/op
BenchmarkGofailReturnTrue-2 1 20 ns/op 0 B/op 0 allocs/op
BenchmarkIdle/watched-2 1 5 ns/op 0 B/op 0 allocs/op
BenchmarkParallelIdle/watched/goroutines=1-2 1 6 ns/op 0 B/op 0 allocs/op
BenchmarkParallelIdle/watched/goroutines=2-2 1 3 ns/op 0 B/op 0 allocs/op
`
	results, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := printTable(&out, results); err != nil {
		t.Fatal(err)
	}
	want := "| benchmark | ns/op (median of 1) | × floor | × gofail not enabled | × gofail return(true) | B/op | allocs/op |\n|---|---:|---:|---:|---:|---:|---:|\n" +
		"| Idle/watched | 5.0 | 0.01 | 0.50 | 0.25 | 0 | 0 |\n" +
		"| GofailNotEnabled | 10.0 | 0.01 | 1.00 | 0.50 | 0 | 0 |\n" +
		"| GofailReturnTrue | 20.0 | 0.02 | 2.00 | 1.00 | 0 | 0 |\n" +
		"| FloorFstatatMissing | 1000.0 | 1.00 | 100.00 | 50.00 | 0 | 0 |\n" +
		"\n| calls of | ns/op, 1 goroutine | ns/op, 2 goroutines | calls in the same time, 2 goroutines ÷ 1 |\n|---|---:|---:|---:|\n" +
		"| ParallelIdle/watched | 6.0 | 3.0 | 2.00 |\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}
