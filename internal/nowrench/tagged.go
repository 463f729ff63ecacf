//go:build nowrench

package nowrench

// Tagged is true: this build has the nowrench tag, so IsActive is a
// constant false the compiler inlines away, and no file is ever read.
const Tagged = true
