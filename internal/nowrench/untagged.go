//go:build !nowrench

// Package nowrench says whether the program is built with the nowrench
// tag, for builds that must never honour a wrench file whatever is on disk.
// It is a constant, so code guarded by it folds away.
package nowrench

// Tagged is false: this build honours wrench files.
const Tagged = false
