package wrench

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/juju/errors"
)

// action is what a term does when it fires.
type action int

const (
	actOn action = iota
	actOff
	actSleep
	actPause
	actPanic
	actExit
	actPrint
)

// actionNames maps each spelling the language accepts to its action;
// "return" is fail(9)'s and gofail's word for on.
var actionNames = map[string]action{
	"on":     actOn,
	"return": actOn,
	"off":    actOff,
	"sleep":  actSleep,
	"pause":  actPause,
	"panic":  actPanic,
	"exit":   actExit,
	"print":  actPrint,
}

// term is one step of a trigger: [PROB "%"] [COUNT "*"] action ["(" ARG ")"].
type term struct {
	percent float64 // chance of firing, in percent; 0 means always
	count   int     // how many times it may fire; 0 means without limit
	act     action
	name    string        // the action as written ("on" or "return", ...)
	arg     string        // the argument as written, without parentheses
	sleep   time.Duration // for actSleep
	code    int           // for actExit
}

// trigger is a parsed trigger: terms walked in order, and whether the
// counts start over once all of them are spent.
type trigger struct {
	terms  []term
	repeat bool
}

// alwaysOn is the trigger of a bare feature line.
var alwaysOn = trigger{terms: []term{{act: actOn, name: "on"}}}

// counted reports whether any term keeps a count, that is whether
// evaluating the trigger changes state.
func (t *trigger) counted() bool {
	for i := range t.terms {
		if t.terms[i].count > 0 {
			return true
		}
	}
	return false
}

// hasPause reports whether any term pauses.
func (t *trigger) hasPause() bool {
	for i := range t.terms {
		if t.terms[i].act == actPause {
			return true
		}
	}
	return false
}

// String gives the trigger in canonical form; parsing it again gives the
// same trigger.
func (t *trigger) String() string {
	var b strings.Builder
	for i, tm := range t.terms {
		if i > 0 {
			b.WriteString("->")
		}
		if tm.percent > 0 {
			b.WriteString(strconv.FormatFloat(tm.percent, 'f', -1, 64))
			b.WriteByte('%')
		}
		if tm.count > 0 {
			b.WriteString(strconv.Itoa(tm.count))
			b.WriteByte('*')
		}
		b.WriteString(tm.name)
		if tm.arg != "" {
			b.WriteByte('(')
			b.WriteString(tm.arg)
			b.WriteByte(')')
		}
	}
	if t.repeat {
		b.WriteString("->repeat")
	}
	return b.String()
}

// parseTrigger parses the second field of a rule line.
func parseTrigger(s string) (trigger, error) {
	if s == "" {
		return trigger{}, errors.New("empty trigger")
	}
	parts := strings.Split(s, "->")
	var t trigger
	if len(parts) > 1 && parts[len(parts)-1] == "repeat" {
		t.repeat = true
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		if p == "" {
			return trigger{}, errors.Errorf("empty term %d in %q (a dangling or doubled \"->\")", i+1, s)
		}
		tm, err := parseTerm(p)
		if err != nil {
			return trigger{}, errors.Annotatef(err, "term %q", p)
		}
		t.terms = append(t.terms, tm)
	}
	if t.repeat {
		for _, tm := range t.terms {
			if tm.count == 0 {
				return trigger{}, errors.Errorf("->repeat needs a count on every term, and %q has none", tm.name)
			}
		}
	}
	return t, nil
}

// parseTerm parses [PROB "%"] [COUNT "*"] action ["(" ARG ")"].
func parseTerm(s string) (term, error) {
	var tm term
	rest := s
	if num, after, ok := leadingNumber(rest, '%'); ok {
		p, err := parsePercent(num)
		if err != nil {
			return term{}, err
		}
		tm.percent = p
		rest = after
	}
	if num, after, ok := leadingNumber(rest, '*'); ok {
		n, err := strconv.Atoi(num)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return term{}, errors.Errorf("count %s* is too large (at most %d)", num, math.MaxInt)
		case err != nil || n < 1 || strings.Contains(num, "."):
			return term{}, errors.Errorf("count %s* is not a whole number of at least 1", num)
		}
		tm.count = n
		rest = after
	}
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		return term{}, errors.New("a chance or count cannot be signed")
	}
	name, arg, hasArg, err := splitCall(rest)
	if err != nil {
		return term{}, err
	}
	act, ok := actionNames[name]
	if !ok {
		return term{}, errors.Errorf("unknown action %q (want on, return, off, sleep, pause, panic, exit or print)", name)
	}
	tm.act, tm.name, tm.arg = act, name, arg
	switch act {
	case actSleep:
		if !hasArg {
			return term{}, errors.New("sleep needs a duration, as in sleep(250ms)")
		}
		d, err := parseSleep(arg)
		if err != nil {
			return term{}, err
		}
		tm.sleep = d
	case actExit:
		tm.code = 1
		if hasArg {
			code, err := strconv.Atoi(arg)
			if err != nil || code < 0 || code > 255 || arg[0] == '+' {
				return term{}, errors.Errorf("exit status %q is not a whole number from 0 to 255", arg)
			}
			tm.code = code
		}
	default:
		if hasArg {
			return term{}, errors.Errorf("%s takes no argument", name)
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

// splitCall splits "name(arg)" or "name". hasArg tells "name()" from "name".
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
