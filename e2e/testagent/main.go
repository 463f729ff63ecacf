// Command testagent is the agent the end-to-end test runs as a non-root
// user: a long-running process with wrench points in its main loop.
//
//	testagent -datadir DIR CATEGORY:FEATURE...
//
// Each line it reads on stdin starts one round of the loop, in which it
// asks wrench.IsActive about every point named on its command line, once
// each, in order. It writes one JSON object a line on stdout:
//
//	{"kind":"ready","uid":1001,"euid":1001}          once, at start
//	{"kind":"log","level":"ERROR","message":"..."}  each entry of the wrench logger
//	{"kind":"round","round":3,"fired":["c:f"]}      after each round
//	{"kind":"returned","point":"c:f","active":true} after a call "go" started
//
// A line "go CATEGORY:FEATURE" instead asks about that point once, on a
// goroutine of its own, and says when the call returns: the way a test
// holds several calls paused at once and sees which one a release lets
// go. A line "off" calls wrench.SetEnabled(false), which wakes every held
// call and removes the agent's live state; it answers {"kind":"off"}.
//
// Logs and rounds share one stream, written in the order they happen, so a
// reader that has seen round N has seen everything wrench logged up to it.
// The test drives the rounds, which keeps counted triggers deterministic;
// each round starts with wrench.Sync, so it sees every write made before.
// The agent ends when stdin does.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/juju/errors"
	"github.com/juju/loggo/v2"

	"github.com/go-wrench/wrench"
)

// event is one line of the agent's output.
type event struct {
	Kind    string   `json:"kind"`
	UID     int      `json:"uid,omitempty"`
	EUID    int      `json:"euid,omitempty"`
	Round   int      `json:"round,omitempty"`
	Fired   []string `json:"fired,omitempty"`
	Point   string   `json:"point,omitempty"`
	Active  bool     `json:"active,omitempty"`
	Level   string   `json:"level,omitempty"`
	Message string   `json:"message,omitempty"`
}

// output writes events one a line; the mutex keeps a log entry written
// from inside IsActive from interleaving with a round's report.
type output struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *output) emit(e event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.enc.Encode(e); err != nil {
		// The test has gone; there is no one left to tell.
		os.Exit(3)
	}
}

// Write makes output a loggo writer.
func (o *output) Write(entry loggo.Entry) {
	o.emit(event{Kind: "log", Level: entry.Level.String(), Message: entry.Message})
}

// point is one place in the loop where the agent asks wrench.
type point struct {
	category, feature string
}

func main() {
	dataDir := flag.String("datadir", "", "the data directory whose wrench subdirectory holds the rules")
	flag.Parse()
	points, err := parsePoints(flag.Args())
	if err != nil || *dataDir == "" {
		fmt.Fprintf(os.Stderr, "testagent: usage: testagent -datadir DIR CATEGORY:FEATURE...: %v\n", err)
		os.Exit(2)
	}

	out := &output{enc: json.NewEncoder(os.Stdout)}
	if _, err := loggo.ReplaceDefaultWriter(out); err != nil {
		fmt.Fprintf(os.Stderr, "testagent: cannot capture the wrench log: %v\n", err)
		os.Exit(1)
	}
	loggo.GetLogger("wrench").SetLogLevel(loggo.INFO)
	wrench.SetDataDir(*dataDir)

	out.emit(event{Kind: "ready", UID: os.Getuid(), EUID: os.Geteuid()})
	in := bufio.NewScanner(os.Stdin)
	for round := 1; in.Scan(); round++ {
		// The test sends a line right after the command it ran returns:
		// Sync makes sure what follows sees what it wrote.
		wrench.Sync()
		if arg, ok := strings.CutPrefix(in.Text(), "go "); ok {
			round--
			goAsk(out, arg)
			continue
		}
		if in.Text() == "off" {
			round--
			wrench.SetEnabled(false)
			out.emit(event{Kind: "off"})
			continue
		}
		fired := []string{}
		for _, p := range points {
			if wrench.IsActive(p.category, p.feature) {
				fired = append(fired, p.category+":"+p.feature)
			}
		}
		out.emit(event{Kind: "round", Round: round, Fired: fired})
	}
}

// goAsk asks about the point arg once, on a goroutine of its own, and
// says when the call returns.
func goAsk(out *output, arg string) {
	ps, err := parsePoints([]string{arg})
	if err != nil {
		fmt.Fprintf(os.Stderr, "testagent: %v\n", err)
		os.Exit(2)
	}
	go func() {
		active := wrench.IsActive(ps[0].category, ps[0].feature)
		out.emit(event{Kind: "returned", Point: arg, Active: active})
	}()
}

// parsePoints reads CATEGORY:FEATURE arguments.
func parsePoints(args []string) ([]point, error) {
	if len(args) == 0 {
		return nil, errors.New("no points")
	}
	points := make([]point, len(args))
	for i, arg := range args {
		category, feature, ok := strings.Cut(arg, ":")
		if !ok || category == "" || feature == "" {
			return nil, errors.Errorf("point %q is not CATEGORY:FEATURE", arg)
		}
		points[i] = point{category, feature}
	}
	return points, nil
}
