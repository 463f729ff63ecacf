// Command benchratio turns `go test -bench` output into the README's table:
// for each benchmark, the median time per call over its runs, that median
// as a multiple of the floor measured in the same run, and its allocations.
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
	var sorted []*result
	for _, r := range results {
		sorted = append(sorted, r)
	}
	sort.Slice(sorted, func(i, j int) bool { return median(sorted[i].ns) < median(sorted[j].ns) })
	fmt.Fprintf(w, "| benchmark | ns/op (median of %d) | × floor | B/op | allocs/op |\n|---|---:|---:|---:|---:|\n", len(base.ns))
	for _, r := range sorted {
		m := median(r.ns)
		fmt.Fprintf(w, "| %s | %.1f | %.2f | %s | %s |\n", r.name, m, m/floorNs, r.bytes, r.allocs)
	}
	return nil
}
