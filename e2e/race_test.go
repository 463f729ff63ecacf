//go:build linux && race

package e2e_test

// raceEnabled is whether the test runs under the race detector: then the
// live suite builds its agents with it too.
const raceEnabled = true
