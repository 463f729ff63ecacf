//go:build linux

package e2e_test

import (
	"os/exec"
	"os/user"
	"strconv"

	gc "gopkg.in/check.v1"
)

// The users the test logs in as besides root. They are left in place for
// the next run: creating them is idempotent, removing them is not worth
// the risk of removing a user someone else made.
const (
	agentUser = "wrench-agent" // runs the agent, may arm it
	otherUser = "wrench-other" // neither root nor the agent's user
)

// account is a user's name and ids.
type account struct {
	name     string
	uid, gid int
}

// ensureUser returns the named user, creating it first when it is missing.
//
// The account gets the password "*", which no password matches, instead
// of useradd's default "!": sshd without PAM refuses a locked ("!")
// account even a key login. Its home is "/", so sshd has a directory to
// change to and says nothing about a missing home on the command's stderr.
func ensureUser(c *gc.C, useradd, name string) account {
	u, err := user.Lookup(name)
	if _, missing := err.(user.UnknownUserError); missing {
		out, addErr := exec.Command(useradd, "--system", "--user-group",
			"--home-dir", "/", "--no-create-home", "--shell", "/bin/sh",
			"--password", "*", name).CombinedOutput()
		// A concurrent run may have made it meanwhile: look again either way.
		u, err = user.Lookup(name)
		if err != nil {
			c.Fatalf("cannot create user %s: %v: %s", name, addErr, out)
		}
	}
	c.Assert(err, gc.IsNil, gc.Commentf("looking up user %s", name))
	uid, err := strconv.Atoi(u.Uid)
	c.Assert(err, gc.IsNil)
	gid, err := strconv.Atoi(u.Gid)
	c.Assert(err, gc.IsNil)
	c.Assert(uid, gc.Not(gc.Equals), 0, gc.Commentf("user %s is root", name))
	return account{name: name, uid: uid, gid: gid}
}
