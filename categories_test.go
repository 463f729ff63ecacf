package wrench_test

import (
	"fmt"

	"github.com/juju/loggo/v2"
	gc "gopkg.in/check.v1"

	"github.com/go-wrench/wrench"
)

// categoriesSuite asks many distinct category names, as a program that
// builds them from data might: what is kept and logged stays bounded.
type categoriesSuite struct{ baseSuite }

var _ = gc.Suite(&categoriesSuite{})

// manyCategories is more distinct names than anything remembers.
const manyCategories = 20000

func (s *categoriesSuite) SetUpTest(c *gc.C) {
	s.baseSuite.SetUpTest(c)
	// The TRACE line of each call would make the log the biggest cost.
	logger := loggo.GetLogger("wrench")
	logger.SetLogLevel(loggo.DEBUG)
}

// askMany asks IsActive of n distinct categories with no file.
func askMany(c *gc.C, prefix string, n int) {
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%05d", prefix, i)
		c.Assert(wrench.IsActive(name, "x"), gc.Equals, false, gc.Commentf("%s", name))
	}
}

func (s *categoriesSuite) TestManyCategoriesWithNoFileAreNotAllKept(c *gc.C) {
	askMany(c, "c", manyCategories)
	kept, _ := wrench.RememberedCategories()
	c.Check(kept, gc.Equals, wrench.MaxFilelessCategories)
	c.Check(s.logged(loggo.WARNING, "categories are remembered already"), gc.HasLen, 1)
	// Asked again, they are still answered and still not kept.
	askMany(c, "c", manyCategories)
	kept, _ = wrench.RememberedCategories()
	c.Check(kept, gc.Equals, wrench.MaxFilelessCategories)
	c.Check(s.logged(loggo.WARNING, ""), gc.HasLen, 1)
	c.Check(s.logged(loggo.ERROR, ""), gc.HasLen, 0)
}

func (s *categoriesSuite) TestACategoryWithAFileIsAlwaysKept(c *gc.C) {
	s.writeFile(c, "early", "x 2*on->1*off->repeat\n")
	c.Check(sequence("early", "x", 1), gc.Equals, "T")
	askMany(c, "c", manyCategories)
	// Past the bound: a new category whose file exists is kept, so its
	// counts live from call to call.
	s.writeFile(c, "late", "x 1*on\n")
	c.Check(sequence("late", "x", 3), gc.Equals, "TFF")
	// So is one asked before it had a file, once it has one.
	c.Check(wrench.IsActive("c19999", "x"), gc.Equals, false)
	s.writeFile(c, "c19999", "x 1*on\n")
	c.Check(sequence("c19999", "x", 3), gc.Equals, "TFF")
	kept, _ := wrench.RememberedCategories()
	c.Check(kept, gc.Equals, wrench.MaxFilelessCategories+2)
	// And one kept before the many goes on where it was.
	c.Check(sequence("early", "x", 4), gc.Equals, "TFTT")
}

func (s *categoriesSuite) TestRepeatedBadNamePastTheBoundIsNotLoggedAgain(c *gc.C) {
	bad := wrench.MaxInvalidNames + 10
	for i := 0; i < bad; i++ {
		c.Assert(wrench.IsActive(fmt.Sprintf("bad/%d", i), "x"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.ERROR, "bad/"), gc.HasLen, wrench.MaxInvalidNames+1)
	c.Check(s.logged(loggo.ERROR, "bad category names were logged already, later ones are not"), gc.HasLen, 1)
	last := fmt.Sprintf(`"bad/%d"`, bad-1)
	for i := 0; i < 1000; i++ {
		c.Assert(wrench.IsActive(fmt.Sprintf("bad/%d", bad-1), "x"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.ERROR, last), gc.HasLen, 0)
	c.Check(s.logged(loggo.ERROR, "bad/"), gc.HasLen, wrench.MaxInvalidNames+1)
	_, invalid := wrench.RememberedCategories()
	c.Check(invalid, gc.Equals, wrench.MaxInvalidNames)
	// One remembered before the bound is still logged once only.
	for i := 0; i < 1000; i++ {
		wrench.IsActive("bad/0", "x")
	}
	c.Check(s.logged(loggo.ERROR, `"bad/0"`), gc.HasLen, 1)
}

func (s *categoriesSuite) TestALongBadNameIsLoggedOnce(c *gc.C) {
	long := make([]byte, 1<<20)
	for i := range long {
		long[i] = 'a'
	}
	for i := 0; i < 100; i++ {
		c.Assert(wrench.IsActive(string(long), "x"), gc.Equals, false)
	}
	c.Check(s.logged(loggo.ERROR, "longer than 64 characters"), gc.HasLen, 1)
	_, invalid := wrench.RememberedCategories()
	c.Check(invalid, gc.Equals, 1)
}
