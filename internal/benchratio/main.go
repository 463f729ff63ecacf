// Command benchratio turns `go test -bench` output into the README's tables:
// for each benchmark, the median time per call over its runs, that median
// as a multiple of the floor measured in the same run and, when gofail's
// benchmarks ran too, of a gofail failpoint not enabled and of one enabled
// with return(true), and its allocations. A second table gives, for each
// benchmark run on one goroutine and on two (sub-benchmarks goroutines=1
// and goroutines=2), how many more calls two make in the same time.
//
//	go test -run '^$' -bench . -benchmem -count 10 . | go run ./internal/benchratio
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// floor is the benchmark every other one is divided by.
const floor = "FloorFstatatMissing"

// The gofail benchmarks, the other columns' divisors when they ran.
const (
	gofailOff = "GofailNotEnabled"
	gofailOn  = "GofailReturnTrue"
)

// The sub-benchmarks that run the same calls on one goroutine and on two.
const (
	oneGoroutine  = "/goroutines=1"
	twoGoroutines = "/goroutines=2"
)

// result is what the runs of one benchmark measured.
type result struct {
	name   string
	ns     []float64
	allocs string
	bytes  string
}

func main() {
	results, err := parse(os.Stdin)
	if err == nil {
		err = printTable(os.Stdout, results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

// parse reads benchmark lines such as
// "BenchmarkDisabled-2  1000000000  0.3339 ns/op  0 B/op  0 allocs/op".
func parse(r io.Reader) (map[string]*result, error) {
	results := map[string]*result{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || f[3] != "ns/op" {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		ns, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", sc.Text(), err)
		}
		res := results[name]
		if res == nil {
			res = &result{name: name, bytes: "?", allocs: "?"}
			results[name] = res
		}
		res.ns = append(res.ns, ns)
		for i := 4; i+1 < len(f); i += 2 {
			switch f[i+1] {
			case "B/op":
				res.bytes = f[i]
			case "allocs/op":
				res.allocs = f[i]
			}
		}
	}
	return results, sc.Err()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printTable(w io.Writer, results map[string]*result) error {
	base, ok := results[floor]
	if !ok {
		return fmt.Errorf("no Benchmark%s in the input: it is the floor every figure is divided by", floor)
	}
	floorNs := median(base.ns)
	off, on := results[gofailOff], results[gofailOn]
	gofail := off != nil && on != nil
	var sorted []*result
	for _, r := range results {
		if !strings.HasSuffix(r.name, oneGoroutine) && !strings.HasSuffix(r.name, twoGoroutines) {
			sorted = append(sorted, r)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return median(sorted[i].ns) < median(sorted[j].ns) })
	if gofail {
		fmt.Fprintf(w, "| benchmark | ns/op (median of %d) | × floor | × gofail not enabled | × gofail return(true) | B/op | allocs/op |\n|---|---:|---:|---:|---:|---:|---:|\n", len(base.ns))
	} else {
		fmt.Fprintf(w, "| benchmark | ns/op (median of %d) | × floor | B/op | allocs/op |\n|---|---:|---:|---:|---:|\n", len(base.ns))
	}
	for _, r := range sorted {
		m := median(r.ns)
		if gofail {
			fmt.Fprintf(w, "| %s | %.1f | %.2f | %.2f | %.2f | %s | %s |\n", r.name, m, m/floorNs, m/median(off.ns), m/median(on.ns), r.bytes, r.allocs)
		} else {
			fmt.Fprintf(w, "| %s | %.1f | %.2f | %s | %s |\n", r.name, m, m/floorNs, r.bytes, r.allocs)
		}
	}
	return printScaling(w, results)
}

// printScaling prints, for each benchmark with one-goroutine and
// two-goroutine runs, the calls two goroutines make for each call one
// makes in the same time, and nothing when there are none.
func printScaling(w io.Writer, results map[string]*result) error {
	var names []string
	for name := range results {
		if base, ok := strings.CutSuffix(name, twoGoroutines); ok && results[base+oneGoroutine] != nil {
			names = append(names, base)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	fmt.Fprintf(w, "\n| calls of | ns/op, 1 goroutine | ns/op, 2 goroutines | calls in the same time, 2 goroutines ÷ 1 |\n|---|---:|---:|---:|\n")
	for _, name := range names {
		one, two := median(results[name+oneGoroutine].ns), median(results[name+twoGoroutines].ns)
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2f |\n", name, one, two, one/two)
	}
	return nil
}
