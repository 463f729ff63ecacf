package rules

import (
	"reflect"
	"strings"
	"testing"
)

// The seeds are every shape the language has, good and bad; `go test`
// runs them each time, and `go test -fuzz FuzzParseTrigger` explores.
var triggerSeeds = []string{
	"on", "return", "off", "30%on", "12.5%on", "100%on", "2*on", "30%2*on",
	"2*on->1*off->repeat", "sleep(250ms)", "sleep(100)", "sleep(1.5)", "pause",
	"1*off->pause", "panic", "exit", "exit(3)", "print", "10%print->off",
	"30%%on", "0%on", "101%on", "0*on", "-1*on", "on->", "->on", "sleep(1s",
	"2*on->off->repeat", "on off", "sleep(", "exit(256)", "5.%on", "02*on",
	"1*sleep(0)->repeat", "repeat", "on->repeat->repeat", "%", "*", "()",
	// Numbers that round: past 100, to 0, past an int.
	"100.00000000000000001%on", "99.99999999999999999%on", "100.0%on",
	"0." + strings.Repeat("0", 400) + "1%on",
	"0." + strings.Repeat("0", 322) + "5%on",
	"99999999999999999999*on", "9223372036854775807*on",
}

func FuzzParseTrigger(f *testing.F) {
	for _, s := range triggerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parsed, err := ParseTrigger(s)
		if err != nil {
			return
		}
		canonical := parsed.String()
		again, err := ParseTrigger(canonical)
		if err != nil {
			t.Fatalf("%q parsed, but its canonical form %q does not: %v", s, canonical, err)
		}
		if !reflect.DeepEqual(parsed, again) {
			t.Fatalf("%q and its canonical form %q parse differently:\n%+v\n%+v", s, canonical, parsed, again)
		}
		if again.String() != canonical {
			t.Fatalf("canonical form %q is not stable: %q", canonical, again.String())
		}
		if parsed.Repeat && !parsed.counted() {
			t.Fatalf("%q repeats without counts", s)
		}
		for _, tm := range parsed.Terms {
			if tm.Percent < 0 || tm.Percent > 100 || tm.Count < 0 {
				t.Fatalf("%q has a term with chance %v and count %d", s, tm.Percent, tm.Count)
			}
		}
	})
}

// fileSeeds are category files of every shape the format has.
var fileSeeds = []string{
	"refuse-upgrade\n# comment\n\nx 30%on # trailing\r\ny 2*on->1*off->repeat",
	"x on\nx off\n\xff\n\ta\tb\tc\n",
	"\ufeffrefuse-upgrade\n\ufeff\ufeffx\ny\u200b\n",
}

func FuzzParseFile(f *testing.F) {
	for _, s := range fileSeeds {
		f.Add(s)
	}
	for _, s := range triggerSeeds {
		f.Add("feature " + s + "\n")
	}
	f.Fuzz(func(t *testing.T, content string) {
		pf := ParseFile("f", []byte(content))
		lines := strings.Count(content, "\n") + 1
		seen := map[string]bool{}
		for _, r := range pf.Rules {
			if seen[r.Feature] {
				t.Fatalf("feature %q has two rules", r.Feature)
			}
			seen[r.Feature] = true
			if strings.Contains(r.Feature, "\ufeff") {
				t.Fatalf("feature %q holds a byte-order mark", r.Feature)
			}
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("rule on line %d of %d", r.Line, lines)
			}
			// What the parser accepts, it gives back in a form it accepts
			// again, with the same meaning.
			again, err := ParseLine(r.Feature + " " + r.Trigger)
			if err != nil || again.Feature != r.Feature || !reflect.DeepEqual(again.Parsed, r.Parsed) {
				t.Fatalf("rule %q %q does not round-trip: %+v, %v", r.Feature, r.Trigger, again, err)
			}
		}
		for _, p := range pf.Problems {
			if p.Line < 1 || p.Line > lines || p.Reason == "" {
				t.Fatalf("problem %+v", p)
			}
		}
	})
}
