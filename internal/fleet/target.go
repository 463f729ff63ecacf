package fleet

import (
	"bufio"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/juju/errors"
)

// Target is one machine to run on, as the user named it.
type Target struct {
	// Given is the target exactly as written, which every line of output
	// names it by.
	Given string
	// Destination is what ssh is given to connect to: "[user@]host",
	// looked up in the user's ssh config like any ssh destination.
	Destination string
	// Port is the port from an ssh:// target, 0 for ssh's own choice.
	Port int
	// DataDir is the data directory from an ssh:// target's path, "" when
	// it has none: it overrides --datadir on that target.
	DataDir string
}

// ParseTarget parses "[user@]host" or "ssh://[user@]host[:port][/datadir]".
// The data directory is the URL's path, percent-decoded, so
// ssh://db1/var/lib names /var/lib; a path of "/" alone names none. A
// target holding a space or control character, or a host that starts
// with "-" (which ssh would take for an option), is refused.
func ParseTarget(s string) (Target, error) {
	t := Target{Given: s}
	if s == "" {
		return t, errors.New("empty target")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return t, errors.Errorf("target %q holds a space or control character", s)
		}
	}
	if !strings.Contains(s, "://") {
		if err := checkUserHost(s, s); err != nil {
			return t, err
		}
		t.Destination = s
		return t, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return t, errors.Errorf("target %q: %v", s, cause(err))
	}
	switch {
	case u.Scheme != "ssh":
		return t, errors.Errorf("target %q: the scheme is %q, not ssh", s, u.Scheme)
	case u.Opaque != "":
		return t, errors.Errorf("target %q: want ssh://[user@]host[:port][/datadir]", s)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return t, errors.Errorf("target %q: a query or fragment means nothing here", s)
	case u.User != nil && hasPassword(u.User):
		return t, errors.Errorf("target %q: passwords are not taken; ssh uses keys and the agent", s)
	case u.Hostname() == "":
		return t, errors.Errorf("target %q has no host", s)
	}
	// An IPv6 address loses its brackets: ssh takes it bare.
	host := u.Hostname()
	t.Destination = host
	if u.User != nil {
		t.Destination = u.User.Username() + "@" + host
	}
	if err := checkUserHost(s, t.Destination); err != nil {
		return t, err
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return t, errors.Errorf("target %q: port %q is not a port number", s, p)
		}
		t.Port = port
	}
	if u.Path != "" && u.Path != "/" {
		t.DataDir = u.Path
	}
	return t, nil
}

func hasPassword(u *url.Userinfo) bool {
	_, ok := u.Password()
	return ok
}

// checkUserHost checks a "[user@]host" destination.
func checkUserHost(given, dest string) error {
	user, host := "", dest
	if i := strings.LastIndex(dest, "@"); i >= 0 {
		user, host = dest[:i], dest[i+1:]
		if user == "" {
			return errors.Errorf("target %q has an empty user name", given)
		}
	}
	switch {
	case host == "":
		return errors.Errorf("target %q has no host", given)
	case strings.HasPrefix(host, "-") || strings.HasPrefix(user, "-"):
		return errors.Errorf("target %q starts with \"-\", which ssh would take for an option", given)
	case strings.Contains(host, "/"):
		return errors.Errorf("target %q: a data directory needs the ssh://[user@]host[:port][/datadir] form", given)
	}
	return nil
}

// cause is err without net/url's "parse URL:" wrapping, which repeats the
// target the message names already.
func cause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ReadHosts reads a hosts file: one target a line; blank lines and lines
// whose first non-blank character is "#" are skipped, and leading and
// trailing blanks are trimmed. It returns the targets as written, not yet
// parsed.
func ReadHosts(r io.Reader) ([]string, error) {
	var targets []string
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		targets = append(targets, line)
	}
	return targets, errors.Trace(lines.Err())
}
