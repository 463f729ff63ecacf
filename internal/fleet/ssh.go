package fleet

import (
	"regexp"
	"strconv"

	"github.com/juju/errors"
)

// The remote command lines. Each is fixed text (the digest and a path
// the user gave for --remote-wrench are the only parts that vary, and
// both are checked to need no quoting), so what a remote shell parses
// never holds an argument, a trigger or a rule: those travel on stdin.
// They assume the login shell is a POSIX shell (sh, bash, dash, ksh,
// zsh), as ssh's remote commands do by custom.

// needInstall is the exit status of runCommand when the cached binary is
// missing or its digest is wrong. wrench itself exits 0, 1 or 2, and
// ssh's own failures are 255.
const needInstall = 97

// runCommand runs the cached binary b after checking its digest on the
// target, as root through "sudo -n" when sudo is set. When the check
// fails it prints the target's "uname -s" and "uname -m" and exits
// needInstall, so the caller learns in one round trip both that it must
// copy and whether it can.
//
// The digest comes from the first of sha256sum (GNU, busybox), shasum
// -a 256 (macOS) and sha256 -q (the BSDs) that the target has; each
// prints the digest first.
func runCommand(b *Binary, sudo bool) string {
	return "cd " + b.CacheDir() + " 2>/dev/null" +
		" && set -- $(" + sha256Command + ")" +
		" && test x$1 = x" + b.Digest +
		" && exec " + sudoPrefix(sudo) + "./wrench " + ServeArg +
		"; uname -s; uname -m; exit " + strconv.Itoa(needInstall)
}

const sha256Command = "sha256sum <wrench 2>/dev/null || shasum -a 256 <wrench 2>/dev/null || sha256 -q <wrench 2>/dev/null"

// installCommand stores what arrives on stdin as the cached binary:
// a private directory, a temporary file renamed into place, so a reader
// never runs half a binary. The digest is checked by runCommand on use.
func installCommand(b *Binary) string {
	dir := b.CacheDir()
	return "umask 077 && mkdir -p " + dir + " && chmod 700 " + dir +
		" && cat >" + dir + "/wrench.$$ && chmod 700 " + dir + "/wrench.$$" +
		" && mv -f " + dir + "/wrench.$$ " + dir + "/wrench" +
		" || { rm -f " + dir + "/wrench.$$; exit 1; }"
}

// remoteWrenchCommand runs an installed wrench at path.
func remoteWrenchCommand(path string, sudo bool) string {
	return "exec " + sudoPrefix(sudo) + path + " " + ServeArg
}

func sudoPrefix(sudo bool) string {
	if sudo {
		return "sudo -n "
	}
	return ""
}

// plainPath is a path that no POSIX shell changes: it goes into the
// remote command line as it is. A leading "~" or "~user" is the one
// thing the shell does to it, and that is wanted.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9_./~+-]+$`)

// CheckRemoteWrench checks --remote-wrench's path: it must be written
// with letters, digits and _ . / ~ + - only, and not start with "-".
func CheckRemoteWrench(path string) error {
	if !plainPath.MatchString(path) || path[0] == '-' {
		return errors.Errorf("--remote-wrench %q: write the path with letters, digits and _ . / ~ + - only (it goes into the remote command line, which holds nothing that needs quoting)", path)
	}
	return nil
}

// CheckSSHOption checks one --ssh-option: KEY=VALUE with a non-empty
// key of letters and digits.
func CheckSSHOption(opt string) error {
	if !sshOption.MatchString(opt) {
		return errors.Errorf("--ssh-option %q: want KEY=VALUE, as ssh -o takes it", opt)
	}
	return nil
}

var sshOption = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*=`)

// sshArgs is ssh's argument list for running command on t: batch mode
// (never a password prompt or a host-key question on a terminal nobody
// watches), no terminal, no RemoteCommand from the user's config to
// clash with ours, the user's options in the order given, then "--" so
// that no destination is ever read as an option. ssh takes the first
// value it is given for an option, so a user's BatchMode=no changes
// nothing.
func sshArgs(t Target, options []string, command string) []string {
	args := []string{"-T", "-o", "BatchMode=yes", "-o", "RemoteCommand=none"}
	for _, o := range options {
		args = append(args, "-o", o)
	}
	if t.Port != 0 {
		args = append(args, "-p", strconv.Itoa(t.Port))
	}
	return append(args, "--", t.Destination, command)
}
