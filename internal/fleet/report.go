package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Exit statuses of a run over many targets.
const (
	ExitOK          = 0 // every target ok (with --any: one target ok)
	ExitFailed      = 1 // every target reached, at least one failed
	ExitUnreachable = 3 // at least one target unreachable or timed out
)

// ExitCode maps the results to the command's exit status. With anyOK
// (--any), one target that met the condition is success whatever the
// others did: they were stopped, or are reported as they ended.
func ExitCode(results []Result, anyOK bool) int {
	code := ExitOK
	for _, r := range results {
		switch r.Outcome {
		case OK:
			if anyOK {
				return ExitOK
			}
		case Unreachable:
			code = ExitUnreachable
		case Failed, Stopped:
			if code == ExitOK {
				code = ExitFailed
			}
		}
	}
	return code
}

// WriteText writes one line per target, in the order given: "TARGET: ok",
// "TARGET: failed: REASON", "TARGET: unreachable: REASON" or
// "TARGET: stopped: REASON", each followed by the subcommand's own output
// (stdout, then any stderr not already the reason) indented by two
// spaces. Text from a target is printed as the subcommand printed it,
// except that a line holding a control character is quoted: a target
// cannot forge another target's line.
func WriteText(w io.Writer, results []Result) error {
	var b strings.Builder
	for _, r := range results {
		b.WriteString(r.Target.Given + ": " + string(r.Outcome))
		if r.Outcome != OK {
			b.WriteString(": " + printable(r.Reason))
		}
		b.WriteString("\n")
		if r.Response == nil {
			continue
		}
		indent(&b, r.Response.Stdout)
		stderr := string(r.Response.Stderr)
		if r.Outcome == Failed {
			stderr = withoutLine(stderr, "wrench: "+r.Reason) // printed already
		}
		indent(&b, []byte(stderr))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// withoutLine is text without the last line that is line.
func withoutLine(text, line string) string {
	lines := strings.SplitAfter(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.TrimSuffix(lines[i], "\n") == line {
			return strings.Join(append(lines[:i:i], lines[i+1:]...), "")
		}
	}
	return text
}

// indent writes each line of text indented by two spaces.
func indent(b *strings.Builder, text []byte) {
	s := strings.TrimSuffix(string(text), "\n")
	if s == "" {
		return
	}
	for _, line := range strings.Split(s, "\n") {
		b.WriteString("  " + printable(line) + "\n")
	}
}

// printable is line unchanged when it holds no control character or
// invalid UTF-8 (a tab is fine), Go-quoted otherwise.
func printable(line string) string {
	for _, r := range line {
		if r == utf8.RuneError || r < ' ' && r != '\t' || r == 0x7f {
			return strconv.Quote(line)
		}
	}
	return line
}

// jsonResult is one target in --json output. Every field is always
// present: exit_code, stdout, stderr and result are null when the
// subcommand never answered.
type jsonResult struct {
	Target   string          `json:"target"`
	Outcome  Outcome         `json:"outcome"`
	Reason   string          `json:"reason"`
	ExitCode *int            `json:"exit_code"`
	Stdout   *string         `json:"stdout"`
	Stderr   *string         `json:"stderr"`
	Result   json.RawMessage `json:"result"`
	Copied   bool            `json:"copied"`
	Changed  *bool           `json:"changed"`
}

// WriteJSON writes one JSON array with one object per target, in the
// order given. result is the subcommand's stdout parsed as JSON when
// withResult is set (the subcommand was run with --json) and it is JSON;
// null otherwise. changed is, for a subcommand that writes (writes set),
// whether it changed the target, as Changes says; null when nobody knows,
// and for a subcommand that does not write.
func WriteJSON(w io.Writer, results []Result, withResult, writes bool) error {
	out := make([]jsonResult, 0, len(results))
	for _, r := range results {
		j := jsonResult{Target: r.Target.Given, Outcome: r.Outcome, Reason: r.Reason, Copied: r.Copied, Result: json.RawMessage("null")}
		if resp := r.Response; resp != nil {
			code, stdout, stderr := resp.ExitCode, string(resp.Stdout), string(resp.Stderr)
			j.ExitCode, j.Stdout, j.Stderr = &code, &stdout, &stderr
			if withResult && json.Valid(resp.Stdout) && len(strings.TrimSpace(stdout)) > 0 {
				j.Result = json.RawMessage(resp.Stdout)
			}
		}
		if writes && r.write() != WriteUnknown {
			changed := r.write() == Wrote
			j.Changed = &changed
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// Changes says which targets a writing subcommand changed. A target
// changed when the subcommand there says it wrote, whatever its exit
// status: "set --wait" that timed out has written all the same, and
// "clear" that failed part way removed what it could. A target did not
// change when the subcommand there says it wrote nothing, or never ran.
// For the rest nobody knows: an unreachable or stopped target may have
// been written before the connection or the time ran out, and a wrench
// that does not say whether it wrote may have.
func Changes(results []Result) string {
	var changed, unchanged, unknown []string
	for _, r := range results {
		switch r.write() {
		case Wrote:
			changed = append(changed, r.Target.Given)
		case NoWrite:
			unchanged = append(unchanged, r.Target.Given)
		default:
			unknown = append(unknown, r.Target.Given)
		}
	}
	parts := []string{fmt.Sprintf("changed %d of %d targets%s", len(changed), len(results), list(changed))}
	if len(unchanged) > 0 {
		parts = append(parts, fmt.Sprintf("failed, not changed: %s", strings.Join(unchanged, " ")))
	}
	if len(unknown) > 0 {
		parts = append(parts, fmt.Sprintf("not known, run again there: %s", strings.Join(unknown, " ")))
	}
	return strings.Join(parts, "; ")
}

// write is what the subcommand did to the target's rules, as far as
// anyone knows.
func (r Result) write() Write {
	switch {
	case r.Outcome == OK:
		// Exit 0: it did what it said.
		return Wrote
	case r.Outcome != Failed || r.Unanswered:
		return WriteUnknown
	case r.Response == nil:
		// Failed before wrench ran: no binary for the platform, a
		// copy or a digest check that failed.
		return NoWrite
	}
	return r.Response.Wrote
}

func list(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, " ")
}
