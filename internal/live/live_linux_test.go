package live

import (
	"os"
	"strconv"

	gc "gopkg.in/check.v1"
)

type procSuite struct{}

var _ = gc.Suite(&procSuite{})

func (*procSuite) TestStartField(c *gc.C) {
	// The command name may hold spaces and parentheses.
	line := "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 ...\n"
	start, ok := startField([]byte(line))
	c.Check(ok, gc.Equals, true)
	c.Check(start, gc.Equals, "987654")
	_, ok = startField([]byte("4242 (short) S 1"))
	c.Check(ok, gc.Equals, false)
}

func (*procSuite) TestSelfIsAlive(c *gc.C) {
	p := Self()
	c.Check(p.PID, gc.Equals, os.Getpid())
	c.Check(p.EUID, gc.Equals, os.Geteuid())
	_, err := strconv.ParseUint(p.Start, 10, 64)
	c.Check(err, gc.IsNil)
	c.Check(p.Started.IsZero(), gc.Equals, false)
	l, euid := Check(&p)
	c.Check(l, gc.Equals, Alive)
	c.Check(euid, gc.Equals, os.Geteuid())
}
