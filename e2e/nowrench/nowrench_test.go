//go:build nowrench

package nowrenchtest

import (
	"testing"

	"github.com/go-wrench/wrench"
)

// TestNoWrenchIgnoresFiles is built only with the nowrench tag.
func TestNoWrenchIgnoresFiles(t *testing.T) {
	armProbe(t)
	if !wrench.IsEnabled() {
		t.Fatal("wrench should still report enabled: only the build tag turns it off")
	}
	if Probe() || wrench.IsActive("agent", "refuse-upgrade") {
		t.Fatal("a nowrench build honoured a wrench file")
	}
}
