//go:build nowrench

package wrench

// compiledIn is false in builds with the nowrench tag: IsActive is then a
// constant false that the compiler inlines away, and no file is ever read.
const compiledIn = false
