package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/juju/errors"
)

// outcome is how one upgrade went.
type outcome struct {
	done      bool     // every agent switched
	attempts  int      // how many times it was tried
	refusedBy []string // agents that voted against it
	failedBy  []string // per failed attempt, the agents whose preparation failed
}

// upgrade moves every agent to version to, or none of them: a two-phase
// commit. Each agent prepares (downloads the new version) and votes; only
// when all are ready does any of them switch. An agent that refuses ends
// the upgrade; a preparation that fails is tried again, up to maxAttempts
// in all. onCommit sees what agents say while they switch.
func (cl *cluster) upgrade(to, maxAttempts int, onCommit func(*agentProcess, message) error) (outcome, error) {
	var o outcome
	for o.attempts < maxAttempts {
		o.attempts++
		say("  Upgrade to version %d, attempt %d: asking every agent to prepare.", to, o.attempts)
		var failed []string
		for _, a := range cl.agents {
			reply, err := a.request(fmt.Sprintf("prepare %d", to), []string{"ready", "refused", "failed"}, nil)
			if err != nil {
				return o, err
			}
			switch reply.kind {
			case "ready":
				say("    %s is ready (version %d downloaded).", a.name, to)
			case "refused":
				say("    %s votes no: %s.", a.name, reply.text)
				o.refusedBy = append(o.refusedBy, a.name)
			case "failed":
				say("    %s cannot: %s.", a.name, reply.text)
				failed = append(failed, a.name)
			}
		}
		if len(o.refusedBy) == 0 && len(failed) == 0 {
			return o, cl.commit(to, &o, onCommit)
		}
		say("    Not everyone is ready, so nobody switches: aborting on every agent.")
		if err := cl.abort(); err != nil {
			return o, err
		}
		if len(o.refusedBy) > 0 {
			return o, nil
		}
		o.failedBy = append(o.failedBy, strings.Join(failed, ","))
	}
	say("  Giving up after %d attempts.", o.attempts)
	return o, nil
}

// commit tells every agent, in turn, to switch to the version it prepared.
func (cl *cluster) commit(to int, o *outcome, onCommit func(*agentProcess, message) error) error {
	say("    Everyone is ready: switching each agent to version %d.", to)
	for _, a := range cl.agents {
		onOther := func(m message) error {
			if onCommit != nil {
				return onCommit(a, m)
			}
			a.show(m)
			return nil
		}
		reply, err := a.request("commit", []string{"done", "failed"}, onOther)
		if err != nil {
			return err
		}
		if reply.kind != "done" {
			return errors.Errorf("%s failed to switch: %s", a.name, reply.text)
		}
		say("    %s runs version %s.", a.name, reply.text)
	}
	o.done = true
	return nil
}

// abort tells every agent to drop what it prepared.
func (cl *cluster) abort() error {
	for _, a := range cl.agents {
		if _, err := a.request("abort", []string{"aborted"}, nil); err != nil {
			return err
		}
	}
	return nil
}

// versions asks every agent what it runs and whether anything is left
// half done, and says so.
func (cl *cluster) versions() (running []int, pending []int, err error) {
	var parts []string
	for _, a := range cl.agents {
		reply, err := a.request("status", []string{"status"}, nil)
		if err != nil {
			return nil, nil, err
		}
		v, p, _ := strings.Cut(reply.text, " ")
		version, err1 := strconv.Atoi(v)
		prepared, err2 := strconv.Atoi(p)
		if err1 != nil || err2 != nil {
			return nil, nil, errors.Errorf("%s: bad status %q", a.name, reply.text)
		}
		running = append(running, version)
		pending = append(pending, prepared)
		part := fmt.Sprintf("%s runs version %d", a.name, version)
		if prepared != 0 {
			part += fmt.Sprintf(" with version %d half-prepared", prepared)
		}
		parts = append(parts, part)
	}
	say("  Now: %s.", strings.Join(parts, ", "))
	return running, pending, nil
}
