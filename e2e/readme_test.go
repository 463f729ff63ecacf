//go:build linux

package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	gc "gopkg.in/check.v1"
)

// readmeSSHExample is one command of the README that runs wrench over ssh,
// as a reader would paste it into a shell: the "ssh host ..." line and,
// for a here-document, its body and end marker.
type readmeSSHExample struct {
	line   int    // where it starts in README.md
	script string // the lines as written
}

// readmeSSHExamples finds every command in README.md's code blocks that
// starts with "ssh host ".
func readmeSSHExamples(c *gc.C) []readmeSSHExample {
	_, here, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "README.md"))
	c.Assert(err, gc.IsNil)
	lines := strings.Split(string(data), "\n")
	var found []readmeSSHExample
	inCode := false
	for i := 0; i < len(lines); i++ {
		text := lines[i]
		if strings.HasPrefix(text, "```") {
			inCode = !inCode
			continue
		}
		if !inCode || !strings.HasPrefix(text, "ssh host ") {
			continue
		}
		ex := readmeSSHExample{line: i + 1, script: text + "\n"}
		if _, marker, ok := strings.Cut(text, "<<'"); ok {
			end := strings.TrimSuffix(marker, "'")
			for i++; i < len(lines) && lines[i] != end; i++ {
				ex.script += lines[i] + "\n"
			}
			ex.script += end + "\n"
		}
		found = append(found, ex)
	}
	return found
}

// TestReadmeSSHExamples runs every "ssh host" command of the README as
// written, through a local shell and a real ssh to the test's sshd, where
// "sudo wrench" is this build of the command on the agent's data
// directory. Each must succeed, the rules must arrive exactly, and nothing
// else may be created on the host (a trigger's "->" re-split by the
// remote shell would make files in the login's home directory).
func (s *e2eSuite) TestReadmeSSHExamples(c *gc.C) {
	examples := readmeSSHExamples(c)
	c.Assert(len(examples) >= 2, gc.Equals, true, gc.Commentf("README.md's ssh examples: %v", examples))
	root, err := user.Lookup("root")
	c.Assert(err, gc.IsNil)
	before := dirNames(c, root.HomeDir)

	// The local shell's "ssh host ARGS" becomes ssh to the test's server
	// as root with the same ARGS: ssh joins them for the remote shell
	// exactly as it would for a real host.
	sshFunc := "ssh() { shift; " + shellQuote(s.sshd.ssh)
	for _, opt := range s.sshd.clientOptions() {
		sshFunc += " " + shellQuote(opt)
	}
	sshFunc += " root@127.0.0.1 \"$@\"; }\n"
	remoteWrench := s.wrenchBin + " --datadir " + s.dataDir
	for _, ex := range examples {
		script := strings.ReplaceAll(ex.script, "sudo wrench ", remoteWrench+" ")
		c.Assert(script, gc.Not(gc.Equals), ex.script, gc.Commentf("README.md:%d does not run sudo wrench", ex.line))
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		out, err := exec.CommandContext(ctx, "/bin/sh", "-c", sshFunc+script).CombinedOutput()
		cancel()
		c.Assert(err, gc.IsNil, gc.Commentf("README.md:%d:\n%s\nsaid: %s", ex.line, ex.script, out))
	}

	c.Check(dirNames(c, root.HomeDir), gc.DeepEquals, before, gc.Commentf("the examples created files in %s", root.HomeDir))
	out, err := exec.Command(s.wrenchBin, "--datadir", s.dataDir, "list", "--json", "machine-agent").Output()
	c.Assert(err, gc.IsNil)
	var files []struct {
		Rules []struct {
			Feature string `json:"feature"`
			Trigger string `json:"trigger"`
		} `json:"rules"`
		Skipped []any `json:"skipped"`
	}
	c.Assert(json.Unmarshal(out, &files), gc.IsNil, gc.Commentf("%s", out))
	c.Assert(files, gc.HasLen, 1)
	c.Check(files[0].Skipped, gc.HasLen, 0)
	triggers := map[string]string{}
	for _, r := range files[0].Rules {
		triggers[r.Feature] = r.Trigger
	}
	c.Check(triggers["run-hook"], gc.Equals, "2*on->1*off->repeat")
	c.Check(triggers["refuse-upgrade"], gc.Equals, "on")
	// And the agent fires what arrived: two calls out of three.
	c.Check(s.agent.doRounds(c, 3), gc.DeepEquals, [][]string{
		{refuseUpgrade, runHook}, {refuseUpgrade, runHook}, {refuseUpgrade},
	})
}

// dirNames lists a directory's entries, sorted.
func dirNames(c *gc.C, dir string) []string {
	entries, err := os.ReadDir(dir)
	c.Assert(err, gc.IsNil)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
