package main

import (
	"fmt"
	"slices"
	"strings"
)

// checker keeps score of what went as expected.
type checker struct {
	unexpected int
}

// expect says whether what should have happened did.
func (ck *checker) expect(ok bool, format string, args ...any) {
	if ok {
		say("  As expected: "+format+".", args...)
		return
	}
	ck.unexpected++
	say("  UNEXPECTED: expected that "+format+", but it is not so.", args...)
}

// expectVersions checks that every agent runs version, with nothing left
// half-prepared.
func (ck *checker) expectVersions(cl *cluster, version int) error {
	running, pending, err := cl.versions()
	if err != nil {
		return err
	}
	want := make([]int, len(cl.agents))
	for i := range want {
		want[i] = version
	}
	ck.expect(slices.Equal(running, want) && slices.Equal(pending, make([]int, len(cl.agents))),
		"every agent runs version %d and none has anything half-prepared", version)
	return nil
}

// scenario runs the three steps, each arming a wrench with the wrench
// command, running an upgrade, and checking what came of it.
func scenario(cl *cluster, ck *checker) error {
	for _, step := range []func(*cluster, *checker) error{refuseStep, retryStep, pauseStep} {
		say("")
		if err := step(cl, ck); err != nil {
			return err
		}
	}
	return nil
}

// refuseStep: one agent refuses, and the upgrade is aborted everywhere.
func refuseStep(cl *cluster, ck *checker) error {
	say("Step 1: agent-1 refuses to upgrade, so nobody does.")
	say("  The operator arms the refuse-upgrade point on agent-1 only:")
	a1 := cl.agent("agent-1")
	if err := cl.wrenchCommand("    ", a1, "set", category, refuseUpgrade); err != nil {
		return err
	}
	o, err := cl.upgrade(2, 3, nil)
	if err != nil {
		return err
	}
	ck.expect(!o.done && o.attempts == 1 && slices.Equal(o.refusedBy, []string{"agent-1"}),
		"agent-1 refused, the upgrade was aborted and, being refused, not tried again")
	if err := ck.expectVersions(cl, 1); err != nil {
		return err
	}
	say("  The operator takes the wrench out:")
	return cl.wrenchCommand("    ", a1, "unset", category, refuseUpgrade)
}

// retryStep: a download that fails two times out of three; the upgrade
// goes through on the third attempt.
func retryStep(cl *cluster, ck *checker) error {
	say("Step 2: agent-2's download fails twice out of every three tries; the upgrade is retried.")
	say("  The operator arms download-fails on agent-2 with a counted trigger:")
	a2 := cl.agent("agent-2")
	if err := cl.wrenchCommand("    ", a2, "set", category, downloadFails, "2*on->1*off->repeat"); err != nil {
		return err
	}
	o, err := cl.upgrade(2, 5, nil)
	if err != nil {
		return err
	}
	ck.expect(o.done && o.attempts == 3 && slices.Equal(o.failedBy, []string{"agent-2", "agent-2"}),
		"attempts 1 and 2 failed at agent-2's download, each aborted everywhere, and attempt 3 went through")
	if err := ck.expectVersions(cl, 2); err != nil {
		return err
	}
	say("  The operator takes the wrench out:")
	return cl.wrenchCommand("    ", a2, "unset", category, downloadFails)
}

// pauseStep: one agent is held before each stage of its switch, and
// released one stage at a time, as in a debugger.
func pauseStep(cl *cluster, ck *checker) error {
	say("Step 3: agent-3 is held before each stage of its switch and stepped through it.")
	say("  The operator arms stage-fails on agent-3 with pause:")
	a3 := cl.agent("agent-3")
	if err := cl.wrenchCommand("    ", a3, "set", category, stageFails, "pause"); err != nil {
		return err
	}
	var reached, held []string
	pauseFired := fmt.Sprintf("%s:%s: pause fired", category, stageFails)
	onCommit := func(a *agentProcess, m message) error {
		if a != a3 {
			a.show(m)
			return nil
		}
		switch {
		case m.kind == "stage":
			reached = append(reached, m.text)
			say("    agent-3 reaches the %s stage.", m.text)
		case m.kind == "log" && strings.Contains(m.text, pauseFired) && len(reached) > 0:
			// wrench logs each firing just before the call pauses: the
			// agent is held now, and the release is what lets it on.
			stage := reached[len(reached)-1]
			held = append(held, stage)
			say("    agent-3 is paused at %s:%s, before %s. The operator lets it through once:", category, stageFails, stage)
			return cl.wrenchCommand("      ", a3, "release", category, stageFails)
		default:
			a.show(m)
		}
		return nil
	}
	o, err := cl.upgrade(3, 1, onCommit)
	if err != nil {
		return err
	}
	ck.expect(o.done && slices.Equal(held, stages),
		"agent-3 paused before each of its stages (%s) and went on only when released", strings.Join(stages, ", "))
	if err := ck.expectVersions(cl, 3); err != nil {
		return err
	}
	say("  The operator clears agent-3's wrenches:")
	return cl.wrenchCommand("    ", a3, "clear")
}
