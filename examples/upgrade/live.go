package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/juju/errors"

	"github.com/go-wrench/wrench"
)

// The coordinator learns what an agent's rules are doing from the agent's
// live state, which every process reading a rules file publishes in its
// wrench directory: wrench.Wait blocks until a condition holds there, and
// wrench.Status says what each rule has done. No log is scraped, and
// nothing sleeps in the hope that the agent got there.

// held waits until a call of agent a is held at feature's pause, the
// fired-th firing of its rule since the rule's line last changed (a
// release changes it), and says what the live state shows.
func held(a *agentProcess, feature string, fired int) error {
	// The Go API reads the wrench directory of DataDir: this agent's.
	wrench.SetDataDir(a.dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	// Fired first, then paused: a state that shows the firing and one
	// paused call shows this call held, not one released before it.
	if _, err := wrench.Wait(ctx, category, feature, wrench.WhenFired(fired)); err != nil {
		return errors.Annotatef(err, "%s", a.name)
	}
	st, err := wrench.Wait(ctx, category, feature, wrench.WhenPaused(1))
	if err != nil {
		return errors.Annotatef(err, "%s", a.name)
	}
	say("    %s", describe(a, st, feature))
	return nil
}

// describe says what status shows of feature's rule in agent a.
func describe(a *agentProcess, st wrench.LiveStatus, feature string) string {
	cs := st.Category(category)
	if cs == nil {
		return fmt.Sprintf("wrench.Status: no live process of %s reads %s", a.name, category)
	}
	var parts []string
	for _, p := range cs.Processes {
		for _, r := range p.Rules {
			if r.Feature == feature {
				parts = append(parts, fmt.Sprintf("pid %d: %s %s, %d paused now, fired %d since its line last changed",
					p.PID, r.Feature, r.Trigger, r.Paused, r.Fired))
			}
		}
	}
	return fmt.Sprintf("wrench.Status of %s: %s", a.name, strings.Join(parts, "; "))
}
