package main

import (
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

// scenario runs the four steps, each arming a wrench with the wrench
// command, running an upgrade (or the agent's hooks), and checking what
// came of it.
func scenario(cl *cluster, ck *checker) error {
	for _, step := range []func(*cluster, *checker) error{refuseStep, retryStep, pauseStep, hooksStep} {
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
	var heldAt []string
	onCommit := func(a *agentProcess, m message) error {
		if a != a3 || m.kind != "stage" {
			a.show(m)
			return nil
		}
		say("    agent-3 reaches the %s stage.", m.text)
		// Its live state shows the call held. The first stage's is the
		// "pause" line's first firing; after a release the line is
		// "K*off->pause", whose off lets the released call through and
		// whose pause holds this one: its second firing.
		fired := 2
		if len(heldAt) == 0 {
			fired = 1
		}
		if err := held(a3, stageFails, fired); err != nil {
			return err
		}
		heldAt = append(heldAt, m.text)
		say("    agent-3 is paused at %s:%s, before %s. The operator lets it through once:", category, stageFails, m.text)
		return cl.wrenchCommand("      ", a3, "release", category, stageFails)
	}
	o, err := cl.upgrade(3, 1, onCommit)
	if err != nil {
		return err
	}
	ck.expect(o.done && slices.Equal(heldAt, stages),
		"agent-3 paused before each of its stages (%s) and went on only when released", strings.Join(stages, ", "))
	if err := ck.expectVersions(cl, 3); err != nil {
		return err
	}
	say("  The operator clears agent-3's wrenches:")
	return cl.wrenchCommand("    ", a3, "clear")
}

// hooksStep: manual mode. Every hook of agent-1 is held, and released one
// at a time in an order the coordinator chooses, as a test harness would
// to try an order the agent rarely runs in.
func hooksStep(cl *cluster, ck *checker) error {
	say("Step 4: manual mode: agent-1 runs its %s hooks at once; each is held, then released in an order chosen here.", strings.Join(hooks, ", "))
	a1 := cl.agent("agent-1")
	say("  The operator holds every hook (set warns that agent-1 has never asked for them: it has not run a hook yet;")
	say("  a typo in a feature would look the same):")
	for _, hook := range hooks {
		if err := cl.wrenchCommand("    ", a1, "set", category, hookPrefix+hook, "pause"); err != nil {
			return err
		}
	}
	say("  The coordinator asks agent-1 to run its hooks, and waits until all three are held:")
	if err := a1.send("hooks"); err != nil {
		return err
	}
	for _, hook := range hooks {
		if err := held(a1, hookPrefix+hook, 1); err != nil {
			return err
		}
	}
	if err := cl.wrenchCommand("    ", a1, "wait", category, hookPrefix+"start", "--paused", "1"); err != nil {
		return err
	}
	order := []string{"start", "install", "config-changed"}
	say("  The coordinator releases them in the order %s:", strings.Join(order, ", "))
	var ran []string
	for _, hook := range order {
		if err := cl.wrenchCommand("    ", a1, "release", category, hookPrefix+hook); err != nil {
			return err
		}
		// Only the released hook can go on: the agent says when it ran.
		m, err := a1.await("hooks", []string{"hook"}, nil)
		if err != nil {
			return err
		}
		say("    agent-1 ran its %s hook.", m.text)
		ran = append(ran, m.text)
	}
	if _, err := a1.await("hooks", []string{"hooks-done"}, nil); err != nil {
		return err
	}
	ck.expect(slices.Equal(ran, order), "agent-1 ran its hooks in the order released: %s", strings.Join(order, ", "))
	say("  The operator clears agent-1's wrenches:")
	return cl.wrenchCommand("    ", a1, "clear")
}
