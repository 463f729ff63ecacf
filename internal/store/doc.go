// Package store is the writer's, List's and Check's view of the wrench
// directory: it opens the directory (Dir) and looks at a category file in
// it (Dir.Look) as IsActive would, writes a category file in one step a
// reader cannot see half of (Dir.Replace, under Dir.Lock), removes one
// (Dir.Remove), and runs the one edit every write of a category file
// takes (Edit).
//
// It opens and reads files through package sys, as IsActive does, and
// judges them with package trust. It knows nothing of the rule language:
// Edit's caller computes the new content.
//
// On unix a Dir holds a descriptor of the directory, opened with
// sys.OpenDir as IsActive opens it (without following a symbolic link),
// and everything beneath it is looked at relative to that descriptor,
// files with sys.OpenFile. On Windows a Dir holds a handle of the
// directory, opened and verified with sys.OpenDir as IsActive opens it,
// and files are looked at beneath that handle with sys.OpenFile, as
// IsActive looks at them; the writer's own steps (the lock file, the
// temporary file, the rename, a removal) go by path.
package store
