package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/go-wrench/wrench"
)

// printList prints each category's rules, aligned, and the lines IsActive
// skips:
//
//	machine-agent (/var/lib/wrench/machine-agent)
//	  refuse-upgrade  on
//	  fail-lease      30%on
//	  line 4 skipped: bad trigger "on#x": ...
//
// Everything read from the disk is printed through shown.
func printList(w io.Writer, files []wrench.CategoryFile) {
	for _, f := range files {
		fmt.Fprintf(w, "%s (%s)\n", shown(f.Category), shown(f.Path))
		if f.Unreadable != "" {
			fmt.Fprintf(w, "  unreadable: %s\n", shown(f.Unreadable))
		}
		if f.BOM {
			fmt.Fprintf(w, "  note: %s\n", bomNote)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range f.Rules {
			fmt.Fprintf(tw, "  %s\t%s\n", shown(r.Feature), shown(r.Trigger))
		}
		tw.Flush()
		for _, p := range f.Problems {
			fmt.Fprintf(w, "  line %d skipped: %s\n", p.Line, shown(p.Reason))
		}
	}
}

// bomNote says what list and check say of a file that starts with a
// byte-order mark: not a problem, but a surprise worth showing.
const bomNote = "starts with a UTF-8 byte-order mark, which IsActive skips (it is not part of the first feature)"

// shown is s as the text output prints it: unchanged when every character
// is printable, Go-quoted otherwise. Names come from the disk, so a file
// name holding a newline, an escape sequence or an invisible character
// could otherwise forge a line ("ok ... honoured") or hide one.
func shown(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// escaped is a message with every character that is not printable written
// as a Go escape (\n, \x1b, \u200b, \xff for a byte that is not UTF-8),
// and the rest as it is. Errors quote names from the disk, and a name
// holding a newline or a terminal escape sequence must not forge, hide or
// recolour a line on the operator's terminal.
func escaped(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, msg[i])
		case strconv.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// Check's text output marks each line with one of these.
const (
	markOK      = "ok     "
	markProblem = "PROBLEM"
	markAbsent  = "absent "
	markIgnored = "ignored"
	markNote    = "note   "
)

// printCheck prints Check's verdicts, one a line:
//
//	ok       /var/lib/wrench: directory honoured by uid 0
//	ok       /var/lib/wrench/agent: file honoured by uid 0
//	ok       /var/lib/wrench/agent:1: refuse-upgrade on
//	PROBLEM  /var/lib/wrench/agent:2: bad trigger "on#x": ...
//
// A good line of a refused file is marked ignored: it is not a problem of
// its own, but IsActive does not honour it. A note is neither: something
// worth knowing that changes no verdict. Everything read from the disk is
// printed through shown.
func printCheck(w io.Writer, r wrench.Report) {
	who := "the current user"
	if r.UID >= 0 {
		who = fmt.Sprintf("uid %d", r.UID)
	}
	d := r.Directory
	dir := shown(d.Path)
	switch {
	case !d.Exists:
		fmt.Fprintf(w, "%s  %s: no wrench directory, so nothing is armed\n", markAbsent, dir)
	case d.Problem != "":
		fmt.Fprintf(w, "%s  %s: %s\n", markProblem, dir, shown(d.Problem))
	default:
		fmt.Fprintf(w, "%s  %s: directory honoured by %s\n", markOK, dir, who)
	}
	if d.Unlisted != "" {
		fmt.Fprintf(w, "%s  %s: %s (IsActive needs only to search it)\n", markNote, dir, shown(d.Unlisted))
	}
	for _, f := range r.Files {
		path := shown(f.Path)
		switch {
		case !f.Exists:
			fmt.Fprintf(w, "%s  %s: no file\n", markAbsent, path)
		case f.Problem != "":
			fmt.Fprintf(w, "%s  %s: %s\n", markProblem, path, shown(f.Problem))
		default:
			fmt.Fprintf(w, "%s  %s: file honoured by %s\n", markOK, path, who)
		}
		if f.BOM {
			fmt.Fprintf(w, "%s  %s: %s\n", markNote, path, bomNote)
		}
		for _, l := range f.Lines {
			switch {
			case l.Problem != "":
				fmt.Fprintf(w, "%s  %s:%d: %s\n", markProblem, path, l.Line, shown(l.Problem))
			case !l.Honoured:
				fmt.Fprintf(w, "%s  %s:%d: %s %s (not honoured: its file is refused)\n", markIgnored, path, l.Line, shown(l.Feature), shown(l.Trigger))
			default:
				fmt.Fprintf(w, "%s  %s:%d: %s %s\n", markOK, path, l.Line, shown(l.Feature), shown(l.Trigger))
			}
		}
	}
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Triggers hold "->": keep them as written, so a script can grep them.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// The JSON shapes below are documented in README.md and stable: fields
// may be added, never renamed or removed. Every field is always present,
// and lists are [] rather than null.

// jsonCategory is one file in list --json.
type jsonCategory struct {
	Category   string        `json:"category"`
	Path       string        `json:"path"`
	Rules      []jsonRule    `json:"rules"`
	Skipped    []jsonSkipped `json:"skipped"`
	Unreadable string        `json:"unreadable"`
	BOM        bool          `json:"bom"`
}

type jsonRule struct {
	Line    int    `json:"line"`
	Feature string `json:"feature"`
	Trigger string `json:"trigger"`
}

type jsonSkipped struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

func listJSON(files []wrench.CategoryFile) []jsonCategory {
	out := []jsonCategory{}
	for _, f := range files {
		jc := jsonCategory{Category: f.Category, Path: f.Path, Rules: []jsonRule{}, Skipped: []jsonSkipped{}, Unreadable: f.Unreadable, BOM: f.BOM}
		for _, r := range f.Rules {
			jc.Rules = append(jc.Rules, jsonRule{Line: r.Line, Feature: r.Feature, Trigger: r.Trigger})
		}
		for _, p := range f.Problems {
			jc.Skipped = append(jc.Skipped, jsonSkipped{Line: p.Line, Text: p.Text, Reason: p.Reason})
		}
		out = append(out, jc)
	}
	return out
}

// jsonReport is check --json.
type jsonReport struct {
	UID       int           `json:"uid"`
	OK        bool          `json:"ok"`
	Problems  int           `json:"problems"`
	Directory jsonDirectory `json:"directory"`
	Files     []jsonFile    `json:"files"`
}

type jsonDirectory struct {
	Path     string `json:"path"`
	Exists   bool   `json:"exists"`
	OK       bool   `json:"ok"`
	Problem  string `json:"problem"`
	Unlisted string `json:"unlisted"`
}

type jsonFile struct {
	Category string     `json:"category"`
	Path     string     `json:"path"`
	Exists   bool       `json:"exists"`
	OK       bool       `json:"ok"`
	Problem  string     `json:"problem"`
	BOM      bool       `json:"bom"`
	Lines    []jsonLine `json:"lines"`
}

type jsonLine struct {
	Line    int    `json:"line"`
	Text    string `json:"text"`
	OK      bool   `json:"ok"`
	Feature string `json:"feature"`
	Trigger string `json:"trigger"`
	Problem string `json:"problem"`
}

func checkJSON(r wrench.Report) jsonReport {
	out := jsonReport{
		UID: r.UID, OK: r.OK(), Problems: r.Problems(),
		Directory: jsonDirectory{Path: r.Directory.Path, Exists: r.Directory.Exists, OK: r.Directory.Problem == "", Problem: r.Directory.Problem, Unlisted: r.Directory.Unlisted},
		Files:     []jsonFile{},
	}
	for _, f := range r.Files {
		jf := jsonFile{Category: f.Category, Path: f.Path, Exists: f.Exists, OK: f.Problem == "", Problem: f.Problem, BOM: f.BOM, Lines: []jsonLine{}}
		for _, l := range f.Lines {
			jf.Lines = append(jf.Lines, jsonLine{Line: l.Line, Text: l.Text, OK: l.Honoured, Feature: l.Feature, Trigger: l.Trigger, Problem: l.Problem})
		}
		out.Files = append(out.Files, jf)
	}
	return out
}
