package rules

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/juju/errors"
)

// Action is what a term does when it fires. Evaluation only chooses the
// term; the caller carries the action out.
type Action int

// The actions of the language.
const (
	On    Action = iota // IsActive returns true
	Off                 // returns false
	Sleep               // sleeps, then returns false
	Pause               // blocks until the rule changes
	Panic               // panics naming the point
	Exit                // ends the process
	Print               // logs that the point was reached
)

// actionNames maps each spelling the language accepts to its action;
// "return" is fail(9)'s and gofail's word for on.
var actionNames = map[string]Action{
	"on":     On,
	"return": On,
	"off":    Off,
	"sleep":  Sleep,
	"pause":  Pause,
	"panic":  Panic,
	"exit":   Exit,
	"print":  Print,
}

// Term is one step of a trigger: [PROB "%"] [COUNT "*"] action ["(" ARG ")"].
type Term struct {
	Percent float64 // chance of firing, in percent; 0 means always
	Count   int     // how many times it may fire; 0 means without limit
	Action  Action
	Name    string        // the action as written ("on" or "return", ...)
	Arg     string        // the argument as written, without parentheses
	Sleep   time.Duration // for Sleep
	Code    int           // for Exit
}

// Trigger is a parsed trigger: terms walked in order, and whether the
// counts start over once all of them are spent.
type Trigger struct {
	Terms  []Term
	Repeat bool
}

// alwaysOn is the trigger of a bare feature line.
var alwaysOn = Trigger{Terms: []Term{{Action: On, Name: "on"}}}

// counted reports whether any term keeps a count, that is whether
// evaluating the trigger changes state.
func (t *Trigger) counted() bool {
	for i := range t.Terms {
		if t.Terms[i].Count > 0 {
			return true
		}
	}
	return false
}

// hasPause reports whether any term pauses.
func (t *Trigger) hasPause() bool {
	for i := range t.Terms {
		if t.Terms[i].Action == Pause {
			return true
		}
	}
	return false
}

// String gives the trigger in canonical form; parsing it again gives the
// same trigger.
func (t *Trigger) String() string {
	var b strings.Builder
	for i, tm := range t.Terms {
		if i > 0 {
			b.WriteString("->")
		}
		if tm.Percent > 0 {
			b.WriteString(strconv.FormatFloat(tm.Percent, 'f', -1, 64))
			b.WriteByte('%')
		}
		if tm.Count > 0 {
			b.WriteString(strconv.Itoa(tm.Count))
			b.WriteByte('*')
		}
		b.WriteString(tm.Name)
		if tm.Arg != "" {
			b.WriteByte('(')
			b.WriteString(tm.Arg)
			b.WriteByte(')')
		}
	}
	if t.Repeat {
		b.WriteString("->repeat")
	}
	return b.String()
}

// ParseTrigger parses the second field of a rule line. Its String is the
// canonical form, which parses again to the same Trigger.
func ParseTrigger(s string) (Trigger, error) {
	if s == "" {
		return Trigger{}, errors.New("empty trigger")
	}
	parts := strings.Split(s, "->")
	var t Trigger
	if len(parts) > 1 && parts[len(parts)-1] == "repeat" {
		t.Repeat = true
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		if p == "" {
			return Trigger{}, errors.Errorf("empty term %d in %q (a dangling or doubled \"->\")", i+1, s)
		}
		tm, err := parseTerm(p)
		if err != nil {
			return Trigger{}, errors.Annotatef(err, "term %q", p)
		}
		t.Terms = append(t.Terms, tm)
	}
	if t.Repeat {
		for _, tm := range t.Terms {
			if tm.Count == 0 {
				return Trigger{}, errors.Errorf("->repeat needs a count on every term, and %q has none", tm.Name)
			}
		}
	}
	return t, nil
}

// parseTerm parses [PROB "%"] [COUNT "*"] action ["(" ARG ")"].
func parseTerm(s string) (Term, error) {
	var tm Term
	rest := s
	if num, after, ok := leadingNumber(rest, '%'); ok {
		p, err := parsePercent(num)
		if err != nil {
			return Term{}, err
		}
		tm.Percent = p
		rest = after
	}
	if num, after, ok := leadingNumber(rest, '*'); ok {
		n, err := strconv.Atoi(num)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return Term{}, errors.Errorf("count %s* is too large (at most %d)", num, math.MaxInt)
		case err != nil || n < 1 || strings.Contains(num, "."):
			return Term{}, errors.Errorf("count %s* is not a whole number of at least 1", num)
		}
		tm.Count = n
		rest = after
	}
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		return Term{}, errors.New("a chance or count cannot be signed")
	}
	name, arg, hasArg, err := splitCall(rest)
	if err != nil {
		return Term{}, err
	}
	act, ok := actionNames[name]
	if !ok {
		return Term{}, errors.Errorf("unknown action %q (want on, return, off, sleep, pause, panic, exit or print)", name)
	}
	tm.Action, tm.Name, tm.Arg = act, name, arg
	switch act {
	case Sleep:
		if !hasArg {
			return Term{}, errors.New("sleep needs a duration, as in sleep(250ms)")
		}
		d, err := parseSleep(arg)
		if err != nil {
			return Term{}, err
		}
		tm.Sleep = d
	case Exit:
		tm.Code = 1
		if hasArg {
			code, err := strconv.Atoi(arg)
			if err != nil || code < 0 || code > 255 || arg[0] == '+' {
				return Term{}, errors.Errorf("exit status %q is not a whole number from 0 to 255", arg)
			}
			tm.Code = code
		}
	default:
		if hasArg {
			return Term{}, errors.Errorf("%s takes no argument", name)
		}
	}
	return tm, nil
}

// parsePercent reads the PROB of a term: a decimal number above 0 and at
// most 100. The bounds are checked on the digits as written, not on the
// float they round to: 100.00000000000000001 rounds to 100 and
// 0.000…1 (hundreds of zeros) to 0, and neither may pass for a chance it
// is not. A chance within the bounds is held as the nearest float64, so
// one with more digits than that holds (99.99999999999999999) reads
// back rounded (100).
func parsePercent(num string) (float64, error) {
	outOfRange := errors.Errorf("chance %s%% is not above 0%% and at most 100%%", num)
	p, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, outOfRange
	}
	whole, frac, _ := strings.Cut(num, ".")
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	switch {
	case whole == "" && frac == "":
		return 0, outOfRange // zero
	case len(whole) > 3, len(whole) == 3 && (whole > "100" || whole == "100" && frac != ""):
		return 0, outOfRange // above 100
	case p == 0:
		return 0, errors.Errorf("chance %s%% is above 0%% but too small to hold (the smallest is about 5e-324%%)", num)
	}
	return p, nil
}

// leadingNumber splits s into the digits (and at most one decimal point)
// it starts with, when they are followed by mark. ok is false when s does
// not start that way, so the caller goes on to the next part of the term.
func leadingNumber(s string, mark byte) (num, rest string, ok bool) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i == 0 || i == len(s) || s[i] != mark {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}

// splitCall splits "name(arg)" or "name". hasArg is whether parentheses
// were there; empty ones, "name()", are an error, never an empty argument.
func splitCall(s string) (name, arg string, hasArg bool, err error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if strings.ContainsAny(s, ")") {
			return "", "", false, errors.Errorf("%q has a \")\" without a \"(\"", s)
		}
		return s, "", false, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", "", false, errors.Errorf("%q has an unclosed \"(\"", s)
	}
	arg = s[open+1 : len(s)-1]
	if strings.ContainsAny(arg, "()") {
		return "", "", false, errors.Errorf("%q has nested parentheses", s)
	}
	if arg == "" {
		return "", "", false, errors.Errorf("%q has empty parentheses", s)
	}
	return s[:open], arg, true, nil
}

// parseSleep reads a Go duration, or a bare number of milliseconds.
func parseSleep(arg string) (time.Duration, error) {
	text := arg
	if num, _, ok := leadingNumber(arg+"ms", 'm'); ok && num == arg {
		text = arg + "ms" // a bare number: milliseconds, as in fail(9)
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, errors.Errorf("sleep duration %q is neither a Go duration (250ms, 2s) nor a number of milliseconds", arg)
	}
	if d < 0 {
		return 0, errors.Errorf("sleep duration %q is negative", arg)
	}
	return d, nil
}
