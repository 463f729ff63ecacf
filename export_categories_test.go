package wrench

// Bounds on what is remembered per data directory, for tests.
const (
	MaxFilelessCategories = maxFilelessCategories
	MaxInvalidNames       = maxInvalidNames
)

// RememberedCategories is how many valid categories, and how many bad
// names, the current data directory remembers.
func RememberedCategories() (valid, invalid int) {
	cf := current.Load()
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return cf.kept, cf.invalid
}
