// Package nowrenchtest proves what the nowrench build tag promises: with it,
// IsActive is a constant false that the compiler inlines away, and no
// wrench file is ever honoured.
package nowrenchtest

import "github.com/go-wrench/wrench"

// Probe is a call site like an agent's.
func Probe() bool {
	return wrench.IsActive("agent", "refuse-upgrade")
}
