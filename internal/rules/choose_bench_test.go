package rules

import "testing"

// benchChoose measures a map lookup and Choose, the language's part of
// IsActive's hot path.
func benchChoose(b *testing.B, line string) {
	r, err := ParseLine(line)
	if err != nil {
		b.Fatal(err)
	}
	l := NewLive(r, 1)
	m := map[string]*Live{r.Feature: &l}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m["x"].Choose()
	}
}

func BenchmarkChooseOn(b *testing.B)      { benchChoose(b, "x") }
func BenchmarkChooseChance(b *testing.B)  { benchChoose(b, "x 30%on") }
func BenchmarkChooseCounted(b *testing.B) { benchChoose(b, "x 2*on->1*off->repeat") }
