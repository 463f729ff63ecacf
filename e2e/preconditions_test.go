//go:build linux

package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// requiredVar, set to 1, turns every reason to skip the end-to-end test
// into a failure. CI sets it, so a CI machine that cannot run the test
// never passes by silently skipping it.
const requiredVar = "WRENCH_E2E"

// sshdPath is where Debian's openssh-server puts sshd. sshd must be run by
// an absolute path, because it re-executes itself for every connection.
const sshdPath = "/usr/sbin/sshd"

// tools are the programs the test runs, found by findTools.
type tools struct {
	sshd, ssh, sshKeygen, useradd, sudo, goTool string
}

// findTools finds what the test runs. why says what is missing, and what
// to do about it, when this machine cannot run the test.
func findTools() (t tools, why string) {
	if os.Geteuid() != 0 {
		return t, "it must run as root (it adds users, runs sshd and runs an agent as another user)"
	}
	if _, err := os.Stat(sshdPath); err != nil {
		return t, fmt.Sprintf("there is no %s: install openssh-server (.ci/e2e-setup does)", sshdPath)
	}
	t.sshd = sshdPath
	for _, tool := range []struct {
		path    *string
		name    string
		pkg     string
		sbinDir bool
	}{
		{&t.ssh, "ssh", "openssh-client", false},
		{&t.sshKeygen, "ssh-keygen", "openssh-client", false},
		{&t.useradd, "useradd", "passwd", true},
		{&t.sudo, "sudo", "sudo", false},
	} {
		if *tool.path = findTool(tool.name, tool.sbinDir); *tool.path == "" {
			return t, fmt.Sprintf("there is no %s: install %s (.ci/e2e-setup does)", tool.name, tool.pkg)
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return t, fmt.Sprintf("the go command is not in PATH: %v", err)
	}
	t.goTool = goTool
	return t, ""
}

// findTool looks name up in PATH and then, for administration commands,
// in /usr/sbin and /sbin, which a non-login root shell may lack in PATH.
func findTool(name string, sbinDir bool) string {
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	if !sbinDir {
		return ""
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return path
		}
	}
	return ""
}
