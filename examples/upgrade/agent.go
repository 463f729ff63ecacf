package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/juju/errors"
	"github.com/juju/loggo/v2"

	"github.com/go-wrench/wrench"
)

// The wrench points of the agent, all in one category, as a real agent
// would keep them.
const (
	category = "machine-agent"

	// refuseUpgrade, when active, makes the agent vote against an upgrade.
	refuseUpgrade = "refuse-upgrade"
	// downloadFails, when active, makes fetching the new version fail.
	downloadFails = "download-fails"
	// stageFails, when active, makes a stage of switching versions fail.
	// It is asked before each stage, which makes it the place to pause.
	stageFails = "stage-fails"
	// hookPrefix and a hook's name are the point asked before the agent
	// runs that hook: "hook-install", say.
	hookPrefix = "hook-"
)

// stages are what an agent does, in order, to switch to a new version.
var stages = []string{"stop-workers", "swap-binary", "start-workers"}

// hooks are what an agent runs after an upgrade, all at once, each on a
// goroutine of its own, in whatever order they get there.
var hooks = []string{"install", "config-changed", "start"}

// agent is the state of one agent process.
type agent struct {
	out      *lineWriter
	version  int // the version it runs
	prepared int // the version downloaded and ready to switch to, or 0
}

// runAgent is an agent process: it runs version 1 and answers the
// coordinator's requests, one a line on stdin, with one line each on
// stdout. Every entry of the wrench logger goes to stdout too, as a line
// starting with "log", for the reader to see; the coordinator learns what
// the agent's rules are doing from its live state (wrench.Status and
// wrench.Wait), not from its log.
func runAgent(dataDir string) error {
	out := &lineWriter{w: os.Stdout}
	if _, err := loggo.ReplaceDefaultWriter(out); err != nil {
		return errors.Annotate(err, "capturing the wrench log")
	}
	loggo.GetLogger("wrench").SetLogLevel(loggo.INFO)
	wrench.SetDataDir(dataDir)

	a := &agent{out: out, version: 1}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		// The coordinator sends a request right after the command that
		// armed or released a rule returns; Sync makes sure the request
		// sees it, where the watcher alone might hear of it a moment
		// later. (An operator confirms the same from outside with
		// `wrench set --wait`.)
		wrench.Sync()
		verb, arg, _ := strings.Cut(in.Text(), " ")
		switch verb {
		case "prepare":
			to, err := strconv.Atoi(arg)
			if err != nil {
				return errors.Errorf("bad request %q", in.Text())
			}
			a.prepare(to)
		case "commit":
			a.commit()
		case "abort":
			a.prepared = 0
			a.out.send("aborted", strconv.Itoa(a.version))
		case "status":
			a.out.send("status", fmt.Sprintf("%d %d", a.version, a.prepared))
		case "hooks":
			a.runHooks()
		default:
			return errors.Errorf("bad request %q", in.Text())
		}
	}
	return errors.Annotate(in.Err(), "reading requests")
}

// prepare is the agent's vote on an upgrade: it downloads the new version
// and says it is ready, unless a wrench says otherwise.
func (a *agent) prepare(to int) {
	if wrench.IsActive(category, refuseUpgrade) {
		a.out.send("refused", "refusing upgrade: wrench in the works")
		return
	}
	if wrench.IsActive(category, downloadFails) {
		a.out.send("failed", fmt.Sprintf("download of version %d failed", to))
		return
	}
	a.prepared = to
	a.out.send("ready", strconv.Itoa(to))
}

// commit switches to the prepared version, stage by stage.
func (a *agent) commit() {
	if a.prepared == 0 {
		a.out.send("error", "commit without a prepared version")
		return
	}
	for _, stage := range stages {
		a.out.send("stage", stage)
		if wrench.IsActive(category, stageFails) {
			a.prepared = 0
			a.out.send("failed", fmt.Sprintf("stage %s failed; still at version %d", stage, a.version))
			return
		}
	}
	a.version, a.prepared = a.prepared, 0
	a.out.send("done", strconv.Itoa(a.version))
}

// runHooks runs every hook at once, each on a goroutine of its own, and
// says as each one runs and when all have.
func (a *agent) runHooks() {
	var wg sync.WaitGroup
	for _, hook := range hooks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A pause here holds this hook, and only this one.
			wrench.IsActive(category, hookPrefix+hook)
			a.out.send("hook", hook)
		}()
	}
	wg.Wait()
	a.out.send("hooks-done", strconv.Itoa(len(hooks)))
}

// lineWriter writes "KIND TEXT" lines. It is also the agent's loggo
// writer; the mutex keeps an entry logged from inside IsActive whole.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *lineWriter) send(kind, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := fmt.Fprintf(o.w, "%s %s\n", kind, text); err != nil {
		os.Exit(1) // the coordinator has gone
	}
}

// Write makes lineWriter a loggo writer.
func (o *lineWriter) Write(entry loggo.Entry) {
	o.send("log", entry.Level.String()+" "+strings.ReplaceAll(entry.Message, "\n", " "))
}
