package wrench

// Bounds on what is remembered per data directory, for tests.
const (
	MaxFilelessCategories = maxFilelessCategories
	MaxInvalidNames       = maxInvalidNames
)

// RememberedCategories is how many valid categories, and how many bad
// names, the current data directory remembers.
func RememberedCategories() (valid, invalid int) {
	dd := inUse.Load()
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return dd.kept, dd.invalid
}
