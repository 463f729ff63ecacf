package store

import (
	"testing"

	gc "gopkg.in/check.v1"
)

// Test runs the gocheck suites of the package.
func Test(t *testing.T) { gc.TestingT(t) }
