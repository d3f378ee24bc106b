package store

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned by the store. Compare them with errors.Is.
var (
	// ErrNotFound is returned when a capture, report, run or URL state does
	// not exist.
	ErrNotFound = errors.New("store: not found")

	// ErrLocked is returned by Open when another process holds the database
	// and the lock was not released within Options.Timeout. The returned
	// error is a *LockedError naming that process when it is known; it
	// wraps both ErrLocked and bbolt's timeout error.
	ErrLocked = errors.New("store: database is in use by another nianbao process")

	// ErrSchemaTooNew is returned by Open for a file written by a newer
	// nianbao whose schema this build does not understand.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this nianbao")

	// ErrReadOnly is returned by write methods of a DB opened read-only.
	ErrReadOnly = errors.New("store: database opened read-only")

	// ErrClosed is returned by every method of a closed DB.
	ErrClosed = errors.New("store: database closed")

	// ErrInvalid is returned for arguments the store cannot key: an empty
	// agency or URL, a NUL byte in a key part, a malformed SHA-256.
	ErrInvalid = errors.New("store: invalid argument")

	// ErrCorrupt is returned when a stored value cannot be decoded or a
	// body does not hash to its key.
	ErrCorrupt = errors.New("store: corrupt record")

	// ErrAmbiguous is returned when a printed name selects more than one
	// organ's report (an *AmbiguousError lists them).
	ErrAmbiguous = errors.New("store: name is ambiguous")

	// ErrSchemaOld is returned by a read-only Open of a file written
	// before the current schema: only a read-write Open migrates it (a
	// *SchemaError says which command to run).
	ErrSchemaOld = errors.New("store: database schema is older than this nianbao")
)

// AmbiguousError is returned when a printed name selects the reports of
// several organs for one year. IDs are their agency_ids.
type AmbiguousError struct {
	Name string
	Year int
	IDs  []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("report %s %d: the name is printed by %d organs (%s): give an agency_id",
		e.Name, e.Year, len(e.IDs), strings.Join(e.IDs, ", "))
}

// Unwrap returns ErrAmbiguous.
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// LockedError is the error Open returns when the database is held by
// another process. PID is that process's id as recorded in the pid file
// beside the database, or 0 when unknown (e.g. a read-only command holds
// the shared lock).
type LockedError struct {
	Path string
	PID  int
	Err  error // bbolt's timeout error
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("open %s: database is in use by another nianbao process (pid %d)", e.Path, e.PID)
	}
	return fmt.Sprintf("open %s: database is in use by another nianbao process (pid unknown; a read-only command may hold it)", e.Path)
}

// Unwrap returns ErrLocked and bbolt's timeout error.
func (e *LockedError) Unwrap() []error { return []error{ErrLocked, e.Err} }

// SchemaError is the error Open returns for a file with an unsupported
// schema version: newer than this build (it wraps ErrSchemaTooNew), or
// older and opened read-only, which cannot migrate it (ErrSchemaOld).
type SchemaError struct {
	Path string
	Have int // the file's schema version
	Want int // the version this build writes
}

func (e *SchemaError) Error() string {
	if e.Have < e.Want {
		return fmt.Sprintf("open %s: database schema version %d predates the agency register (version %d); "+
			"a read-only command cannot migrate it: run 'nianbao reparse --db %s' once (it migrates the archive and "+
			"re-derives every report's organ; a crawl or 'nianbao check --repair' migrates it too)", e.Path, e.Have, e.Want, e.Path)
	}
	return fmt.Sprintf("open %s: database schema version %d is newer than this nianbao understands (%d): upgrade nianbao",
		e.Path, e.Have, e.Want)
}

// Unwrap returns ErrSchemaTooNew or ErrSchemaOld.
func (e *SchemaError) Unwrap() error {
	if e.Have < e.Want {
		return ErrSchemaOld
	}
	return ErrSchemaTooNew
}
