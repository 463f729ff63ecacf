// Command upgrade is wrench's quick start: the scenario wrench was made
// for, run for real, with nothing to set up.
//
//	go run ./examples/upgrade
//
// Three agent processes (this program, started again with the argument
// "agent") must all agree before any of them upgrades. Each asks wrench
// at a few points of its upgrade code, and keeps its rules in a data
// directory of its own. The example builds the wrench command and, as an
// operator would, arms those points to
//
//  1. make one agent refuse the upgrade: it is aborted on all three;
//  2. make another agent's download fail two times out of three: the
//     upgrade is retried and goes through on the third attempt;
//  3. pause the third agent before each stage of its switch and release
//     it one stage at a time;
//  4. hold every hook of the first agent, which it runs all at once, and
//     release them one at a time in an order the coordinator chooses:
//     the "manual mode" a test harness drives.
//
// The coordinator sees what each agent's rules are doing through the
// agents' live state (wrench.Wait and wrench.Status, as "wrench wait" and
// "wrench status" do), never by reading their logs or sleeping.
//
// It says what happens at each step and exits 0 when every step went as
// expected, 1 otherwise. It removes its temporary files and agents when
// it ends.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "agent" {
		if err := runAgent(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "agent: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./examples/upgrade")
		os.Exit(2)
	}
	os.Exit(runExample())
}

// runExample runs the whole story and returns the exit status.
func runExample() int {
	say("Three agents must agree before any of them upgrades; wrench makes them disagree.")
	cl, err := newCluster("agent-1", "agent-2", "agent-3")
	if err != nil {
		fmt.Fprintf(os.Stderr, "upgrade example: %v\n", err)
		return 1
	}
	say("Started agent-1, agent-2 and agent-3, each running version 1, with its data directory in %s.", cl.tmp)

	// Interrupted, the example still takes its agents and files with it.
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		cl.close(true)
		os.Exit(130)
	}()

	ck := &checker{}
	err = scenario(cl, ck)
	cl.close(err != nil)
	say("")
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "upgrade example: %v\n", err)
		return 1
	case ck.unexpected > 0:
		say("%d check(s) did not go as expected.", ck.unexpected)
		return 1
	}
	say("Every step went as expected.")
	return 0
}
