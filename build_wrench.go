//go:build !nowrench

package wrench

// compiledIn is false only in builds with the nowrench tag.
const compiledIn = true
