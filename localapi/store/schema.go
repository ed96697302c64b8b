package store

import "fmt"

// SchemaRule says what opening a backend does with a store whose schema is
// at another version than this program's migrations make it.
type SchemaRule int

const (
	// Migrate brings an older schema up to date (the server). The zero
	// value.
	Migrate SchemaRule = iota
	// RequireCurrent changes nothing: a schema older or newer than this
	// program's is refused with a *SchemaError (the admin commands, which
	// run beside a server that may be of another version).
	RequireCurrent
	// ReadOlder changes nothing and writes nothing: a schema at this
	// program's version or an older one is opened as it is, read-only (a
	// backup, which then holds the store at its own version); a newer one
	// is refused with a *SchemaError.
	ReadOlder
)

// SchemaError: the store's schema is at version Have, this program's at
// Want, and the backend was opened not to migrate it (or could not: a
// newer program migrated it). Nothing was changed. It is
// ErrSchemaNotCurrent for errors.Is.
type SchemaError struct {
	Have, Want int64
	// TooOld is set on a refusal by ReadOlder of a schema too old for
	// this program to read as it is.
	TooOld bool
}

func (e *SchemaError) Error() string {
	switch {
	case e.Ahead():
		return fmt.Sprintf("the store's schema is at version %d, newer than this program's (%d)", e.Have, e.Want)
	case e.TooOld:
		return fmt.Sprintf("the store's schema is at version %d, too old for this program (%d) to read without migrating it", e.Have, e.Want)
	}
	return fmt.Sprintf("the store's schema is at version %d, older than this program's (%d)", e.Have, e.Want)
}

// Is makes a SchemaError ErrSchemaNotCurrent.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaNotCurrent }

// Ahead reports a schema newer than this program's.
func (e *SchemaError) Ahead() bool { return e.Have > e.Want }

// CheckSchema is rule's verdict on a store at version have (with pending
// set when some of this program's migrations up to have are not applied)
// for a program at version want: nil to open it as it is, or a
// *SchemaError. oldest is the oldest version ReadOlder can read. Migrate
// is never refused here (the backend migrates).
func CheckSchema(rule SchemaRule, have, want int64, pending bool, oldest int64) error {
	switch {
	case rule == Migrate:
		return nil
	case have > want:
		return &SchemaError{Have: have, Want: want}
	case rule == ReadOlder && have < oldest:
		return &SchemaError{Have: have, Want: want, TooOld: true}
	case rule == ReadOlder:
		return nil
	case have < want || pending:
		return &SchemaError{Have: have, Want: want}
	}
	return nil
}
