//go:build linux

package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	gc "gopkg.in/check.v1"
)

// patience is how long the test waits for anything (sshd to listen, an ssh
// command, the agent's answer) before it fails. It is a guard against a
// hang, never a measure: everything normally takes a fraction of it.
const patience = 2 * time.Minute

// sshServer is a private sshd on loopback addresses (127.0.0.1 unless
// told otherwise): its own host key and config, key-only logins for the
// listed users, one client key for all of them.
type sshServer struct {
	dir       string   // config, keys, authorized_keys
	addrs     []string // where it listens, each on port
	port      int
	clientKey string
	ssh       string

	cmd  *exec.Cmd
	log  *lockedBuffer // sshd's own log, shown when something fails
	done chan struct{} // closed when sshd has exited
}

// startSSHD starts sshd for users. Its files live in a new directory under
// /run: sshd's StrictModes refuses an authorized_keys file below a
// directory that others may write, such as /tmp, and the check is worth
// keeping on.
func startSSHD(c *gc.C, t tools, users ...string) *sshServer {
	return startSSHDOn(c, t, []string{"127.0.0.1"}, users...)
}

// startSSHDOn starts sshd for users, listening on each of addrs (loopback
// addresses) on one port.
func startSSHDOn(c *gc.C, t tools, addrs []string, users ...string) *sshServer {
	// sshd insists on its privilege separation directory, which Debian
	// makes only when the ssh service starts.
	c.Assert(os.MkdirAll("/run/sshd", 0o755), gc.IsNil)
	dir, err := os.MkdirTemp("/run", "wrench-e2e-sshd-")
	c.Assert(err, gc.IsNil)
	// The users read authorized_keys themselves: the directory must be
	// searchable, and nothing in it writable but by root.
	c.Assert(os.Chmod(dir, 0o755), gc.IsNil)
	s := &sshServer{dir: dir, addrs: addrs, clientKey: filepath.Join(dir, "client_key"), ssh: t.ssh}

	hostKey := filepath.Join(dir, "host_key")
	for _, key := range []string{hostKey, s.clientKey} {
		out, err := exec.Command(t.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C", "wrench-e2e", "-f", key).CombinedOutput()
		c.Assert(err, gc.IsNil, gc.Commentf("ssh-keygen: %s", out))
	}
	pub, err := os.ReadFile(s.clientKey + ".pub")
	c.Assert(err, gc.IsNil)
	authorized := filepath.Join(dir, "authorized_keys")
	c.Assert(os.WriteFile(authorized, pub, 0o644), gc.IsNil)
	c.Assert(os.Chmod(authorized, 0o644), gc.IsNil)

	// The port is found free, then given to sshd; another process may take
	// it in between, so a bind failure is tried again on a new port.
	for attempt := 1; ; attempt++ {
		s.port = freePort(c)
		config := filepath.Join(dir, "sshd_config")
		c.Assert(os.WriteFile(config, []byte(sshdConfig(s.port, addrs, hostKey, authorized, users)), 0o600), gc.IsNil)
		listening := s.start(c, t.sshd, config)
		if listening {
			return s
		}
		if attempt < 5 && strings.Contains(s.log.String(), "Address already in use") {
			continue
		}
		c.Fatalf("sshd did not start; its log:\n%s", s.log)
	}
}

// sshdConfig is a configuration that lets in nobody but users, by key,
// on port at each of addrs.
func sshdConfig(port int, addrs []string, hostKey, authorized string, users []string) string {
	listen := ""
	for _, a := range addrs {
		listen += "ListenAddress " + a + "\n"
	}
	return fmt.Sprintf(`# sshd for wrench's end-to-end test: loopback only, keys only, these users only.
Port %d
%sHostKey %s
PidFile none
AuthorizedKeysFile %s
AllowUsers %s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# Without PAM: Debian's PAM session modules need a full system (loginuid,
# systemd) that containers and CI machines may not have.
UsePAM no
StrictModes yes
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
`, port, listen, hostKey, authorized, strings.Join(users, " "))
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(c *gc.C) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	c.Assert(err, gc.IsNil)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs sshd in the foreground, logging to its stderr, and reports
// whether it came to listen on every address (false: it exited first).
func (s *sshServer) start(c *gc.C, sshd, config string) bool {
	s.log = &lockedBuffer{}
	s.done = make(chan struct{})
	s.cmd = exec.Command(sshd, "-D", "-e", "-f", config)
	stderr, err := s.cmd.StderrPipe()
	c.Assert(err, gc.IsNil)
	c.Assert(s.cmd.Start(), gc.IsNil)
	listening := make(chan struct{})
	go func() {
		waiting := map[string]bool{}
		for _, a := range s.addrs {
			waiting["Server listening on "+a+" port "+strconv.Itoa(s.port)] = true
		}
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			s.log.WriteString(lines.Text() + "\n")
			for w := range waiting {
				if strings.Contains(lines.Text(), w) {
					delete(waiting, w)
					if len(waiting) == 0 {
						close(listening)
					}
				}
			}
		}
		s.cmd.Wait()
		close(s.done)
	}()
	select {
	case <-listening:
		return true
	case <-s.done:
		return false
	case <-time.After(patience):
		s.stop()
		c.Fatalf("sshd did not listen within %v; its log:\n%s", patience, s.log)
	}
	return false
}

// stop ends sshd and removes its files.
func (s *sshServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(patience):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// sshResult is what a command run over ssh did.
type sshResult struct {
	status         int
	stdout, stderr string
}

// run runs args as user on the server, over ssh, and returns what the
// command did. Each argument is quoted for the remote shell, which splits
// the command line again: a trigger such as 2*on->1*off->repeat holds
// characters the shell would otherwise act on.
func (s *sshServer) run(c *gc.C, user string, args ...string) sshResult {
	quoted := make([]string, len(args))
	for i, arg := range args {
		quoted[i] = shellQuote(arg)
	}
	return s.runShell(c, user, strings.Join(quoted, " "))
}

// runShell runs a shell command line as user on the server, over ssh.
func (s *sshServer) runShell(c *gc.C, user, commandLine string) sshResult {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.ssh, append(s.clientOptions(), user+"@127.0.0.1", commandLine)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := sshResult{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		c.Fatalf("ssh %s@127.0.0.1 %s: no end within %v", user, commandLine, patience)
	}
	if exit, ok := err.(*exec.ExitError); ok {
		r.status = exit.ExitCode()
	} else if err != nil {
		c.Fatalf("ssh %s@127.0.0.1 %s: %v", user, commandLine, err)
	}
	if r.status == 255 {
		// ssh's own failure, not the command's: say why from both ends.
		c.Fatalf("ssh %s@127.0.0.1 %s failed: %s\nsshd's log:\n%s", user, commandLine, r.stderr, s.log)
	}
	return r
}

// clientOptions are the ssh client's options for this server: its key and
// port, and nothing from the user's or the system's configuration.
func (s *sshServer) clientOptions() []string {
	return []string{
		"-F", "/dev/null", // no user or system client configuration
		"-i", s.clientKey,
		"-p", strconv.Itoa(s.port),
		"-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null",
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR", // keeps "Permanently added ..." off stderr
		"-o", "ConnectTimeout=30",
	}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// lockedBuffer is a buffer written by one goroutine and read by another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
