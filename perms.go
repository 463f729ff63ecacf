package wrench

import "github.com/go-wrench/wrench/internal/trust"

// The trust policy itself, and every refusal phrase, live in
// internal/trust so that both platforms' rules are compiled and tested
// everywhere; the platform files reduce what the system says to its facts.
// What stays here is what the package exports of it.

// MaxFileSize is the largest category file wrench reads. A larger file is
// refused as a whole: a rules file is a few lines, and a cap keeps a hostile
// or runaway file from costing the agent memory.
const MaxFileSize = trust.MaxFileSize
