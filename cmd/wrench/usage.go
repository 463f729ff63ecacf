package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/go-wrench/wrench"
)

// printUsage prints the program's help.
func printUsage(w io.Writer) {
	fmt.Fprintf(w, `Usage: wrench [--datadir DIR] COMMAND [ARGUMENTS]

wrench drops, changes and inspects the rules that make wrench.IsActive
fail on purpose. Rules live in DIR/wrench/CATEGORY, one a line:
FEATURE [TRIGGER] [# comment].

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, `
Options:
  --datadir DIR  the data directory (default %s, so rules are in %s)

Exit status: 0 done; 1 failed, or check found a problem; 2 the command line
is wrong. Run "wrench help COMMAND" for a command's details.
`, defaultDataDir, filepath.Join(defaultDataDir, "wrench"))
}

// printCommandUsage prints one command's help.
func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: wrench [--datadir DIR] %s %s\n\n", c.name, c.args)
	if c.help != "" {
		fmt.Fprintf(w, "%s\n\n", c.help)
	} else {
		fmt.Fprintf(w, "%s\n\n", capitalise(c.summary)+".")
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	dataDir := defaultDataDir
	fs.StringVar(&dataDir, "datadir", dataDir, "the data directory whose wrench subdirectory holds the rules")
	if c.flags != nil {
		c.flags(fs, &options{})
	}
	fmt.Fprintln(w, "Options:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		if f.Name == "datadir" {
			name = " DIR"
			usage += " (default " + defaultDataDir + ")"
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, name, usage)
	})
	tw.Flush()
}

// defaultDataDir is the library's default data directory, which --datadir
// overrides.
var defaultDataDir = wrench.DataDir()

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
