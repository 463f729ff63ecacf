// Command testproxy is the ssh ProxyCommand of the fleet's end-to-end
// test. It proves from the outside how ssh connections overlap, without
// timing anything:
//
//	testproxy barrier DIR N HOST PORT
//	testproxy hold HOSTS HOST PORT
//
// barrier records HOST in DIR, then waits until N hosts are recorded
// there before it connects to HOST:PORT and relays stdin and stdout:
// connections made one after another never get past it, N at once all
// do. Only connections whose ssh still runs count. hold never connects when HOST is one of the comma-separated HOSTS
// (it waits until ssh ends it), and relays like barrier otherwise.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// patience bounds every wait, so that a test that went wrong ends.
const patience = 2 * time.Minute

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testproxy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 5 && args[0] == "barrier":
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		if err := barrier(args[1], n, args[3]); err != nil {
			return err
		}
		return relay(args[3], args[4])
	case len(args) == 4 && args[0] == "hold":
		if slices.Contains(strings.Split(args[1], ","), args[2]) {
			// Until ssh is gone, which the end of stdin shows.
			io.Copy(io.Discard, os.Stdin)
			return fmt.Errorf("held %s until ssh was gone", args[2])
		}
		return relay(args[2], args[3])
	}
	return fmt.Errorf("usage: testproxy barrier DIR N HOST PORT | testproxy hold HOSTS HOST PORT")
}

// barrier records host in dir and returns once n hosts are there whose
// ssh is still running. It ends the process when its own ssh is gone: a
// connection that was given up on is not counted, and does not linger.
func barrier(dir string, n int, host string) error {
	ssh := os.Getppid()
	if err := os.WriteFile(filepath.Join(dir, host), []byte(strconv.Itoa(ssh)), 0o644); err != nil {
		return err
	}
	deadline := time.Now().Add(patience)
	for {
		if os.Getppid() != ssh {
			os.Exit(1)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		live := 0
		for _, e := range entries {
			if alive(filepath.Join(dir, e.Name())) {
				live++
			}
		}
		if live >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d connections started within %v", live, n, patience)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive says whether the ssh whose pid is in file is running.
func alive(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(string(data))
	if err != nil {
		return false
	}
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// relay connects to host:port and copies between it and stdin/stdout.
func relay(host, port string) error {
	conn, err := net.Dial("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		io.Copy(os.Stdout, conn)
		close(done)
	}()
	io.Copy(conn, os.Stdin)
	conn.(*net.TCPConn).CloseWrite()
	<-done
	return nil
}
