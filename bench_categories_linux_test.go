package wrench_test

import (
	"fmt"
	"testing"

	"github.com/go-wrench/wrench"
)

// The benchmarks below ask many other categories first: compare each with
// its namesake without "ManyCategories" (BenchmarkNoCategoryFile,
// BenchmarkFeatureMatching) in the same run. A call costs the same however
// many categories were asked before it.

// askOthers asks IsActive of n categories other than "agent", none with a
// file: more than are remembered.
func askOthers(n int) {
	for i := 0; i < n; i++ {
		wrench.IsActive(fmt.Sprintf("other%05d", i), "x")
	}
}

func BenchmarkNoCategoryFileManyCategories(b *testing.B) {
	benchDataDir(b, "")
	wrench.IsActive("agent", "x")
	askOthers(20000)
	benchIsActive(b, "x", false)
}

// BenchmarkNoCategoryFilePastTheBound asks a category first seen once too
// many categories with no file are remembered: it is not remembered, and
// answered by one stat.
func BenchmarkNoCategoryFilePastTheBound(b *testing.B) {
	benchDataDir(b, "")
	askOthers(20000)
	benchIsActive(b, "x", false)
}

func BenchmarkFeatureMatchingManyCategories(b *testing.B) {
	benchDataDir(b, "other\nx\n")
	wrench.IsActive("agent", "x")
	askOthers(20000)
	benchIsActive(b, "x", true)
}
