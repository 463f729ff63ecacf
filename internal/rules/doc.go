// Package rules is wrench's file format and trigger language: it parses a
// category file's content into rules, prints triggers back in canonical
// form, evaluates a rule for one call (counts, chains, chance, the state a
// rule carries over an unchanged line) and edits a file's text one
// feature at a time.
//
// It is pure: no I/O, no logging, no build tags. The caller reads and
// verifies the file, logs what the parser reports and carries out the
// action a rule chooses. Reading and editing split text with the same
// tokenizer (Split and FieldsOf), so an edit always finds the line the
// parser would read for a feature, and nothing else.
package rules
