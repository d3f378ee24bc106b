package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"nianbao/parser/agency"
)

// Options configures Open. A nil *Options means DefaultOptions.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process before returning a *LockedError. Zero means 3 s (default);
	// a negative value waits indefinitely (bbolt's own default).
	Timeout time.Duration

	// ReadOnly opens the file with a shared lock; write methods return
	// ErrReadOnly. When a writer holds the file, a read-only Open falls
	// back to the writer's snapshot (see doc.go and FromSnapshot) instead
	// of failing; when the pid file names a live writer it waits only
	// 200 ms for the lock, not Timeout. False by default.
	ReadOnly bool

	// NoSnapshotFallback makes a read-only Open fail with a *LockedError
	// instead of opening the snapshot. False by default.
	NoSnapshotFallback bool

	// SnapshotInterval is how often a writer refreshes the reader snapshot
	// beside the file while there are unsnapshotted writes. The snapshot is
	// also refreshed by FinishRun, WriteSnapshot and Close. Zero means
	// 2 minutes (default); a negative value disables snapshots entirely.
	SnapshotInterval time.Duration

	// NoSync skips fsync after each commit, trading durability on power
	// loss (not on a process crash) for speed. For bulk imports and
	// benchmarks only. False by default.
	NoSync bool

	// Logger receives debug and info records (snapshot refreshes, schema
	// stamping). Nil discards them (default).
	Logger *slog.Logger
}

// quickTimeout is how long a read-only Open waits for the lock when the
// pid file names a live writer and its snapshot exists.
const quickTimeout = 200 * time.Millisecond

// DefaultOptions are the options used when Open is given nil.
var DefaultOptions = &Options{Timeout: 3 * time.Second}

// DB is an open archive. It is safe for concurrent use by multiple
// goroutines; writes are serialised by bbolt. Only one process may have a
// file open for writing; see Open.
type DB struct {
	bolt     *bolt.DB
	path     string // the path given to Open
	readOnly bool
	log      *slog.Logger
	codec    *codec
	snap     *SnapshotInfo // non-nil when reading the snapshot instead of path
	pidPath  string        // "" for read-only opens

	rulesMu sync.Mutex    // protects rules
	rules   *agency.Rules // the configuration's agency rules; nil for none

	mu       sync.Mutex // protects dirty, lastSnap and closed
	dirty    bool       // writes committed since the last snapshot
	lastSnap time.Time
	closed   bool

	snapMu sync.Mutex // serialises snapshot file writes

	stop chan struct{} // closed by Close to end the snapshot loop
	done chan struct{} // closed by the snapshot loop when it returns; nil if none runs
}

// SnapshotInfo describes the snapshot a read-only DB was opened from
// because another process holds the database for writing.
type SnapshotInfo struct {
	// Path is the snapshot file.
	Path string
	// Taken is when the writer last refreshed it (its modification time).
	Taken time.Time
	// HolderPID is the writer's pid from the pid file, or 0 if unknown.
	HolderPID int
}

// SnapshotPath returns the path of the reader snapshot kept beside the
// database at path.
func SnapshotPath(path string) string { return path + ".snapshot" }

// PIDPath returns the path of the pid file a writer keeps beside the
// database at path while it has it open.
func PIDPath(path string) string { return path + ".pid" }

// Open opens the archive at path, creating it and its directory if needed
// (unless ReadOnly), and checks its schema version.
//
// If another process holds the file, Open waits up to opts.Timeout and then
// returns a *LockedError (errors.Is ErrLocked) naming that process's pid. A
// read-only Open in that case opens the writer's snapshot instead, when one
// exists; FromSnapshot then reports it. A file with a newer schema gives a
// *SchemaError (errors.Is ErrSchemaTooNew).
func Open(path string, opts *Options) (*DB, error) {
	if opts == nil {
		opts = DefaultOptions
	}
	o := *opts
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	} else if o.Timeout < 0 {
		o.Timeout = 0
	}
	if o.SnapshotInterval == 0 {
		o.SnapshotInterval = 2 * time.Minute
	}
	lg := o.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	if !o.ReadOnly {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open %s: %w", path, err)
			}
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	bopts := &bolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, NoSync: o.NoSync, FreelistType: bolt.FreelistMapType}
	fallback := o.ReadOnly && !o.NoSnapshotFallback && o.SnapshotInterval >= 0
	if fallback && o.Timeout > quickTimeout {
		// A live writer in another process will not let go soon; when its
		// snapshot is there, do not make the reader wait the full timeout.
		if pid := holderPID(path); pid > 0 && pid != os.Getpid() {
			if _, err := os.Stat(SnapshotPath(path)); err == nil {
				bopts.Timeout = quickTimeout
			}
		}
	}
	bdb, err := bolt.Open(path, 0o600, bopts)
	var snap *SnapshotInfo
	if errors.Is(err, bolt.ErrTimeout) {
		locked := &LockedError{Path: path, PID: holderPID(path), Err: err}
		if !fallback {
			return nil, locked
		}
		sp := SnapshotPath(path)
		fi, serr := os.Stat(sp)
		if serr != nil {
			return nil, locked
		}
		// The writer never writes the snapshot in place (it renames a
		// new file over it), so nobody holds its lock for long.
		bdb, err = bolt.Open(sp, 0o600, bopts)
		if err != nil {
			return nil, fmt.Errorf("open snapshot %s: %w", sp, err)
		}
		snap = &SnapshotInfo{Path: sp, Taken: fi.ModTime(), HolderPID: locked.PID}
		lg.Info("database busy, reading snapshot", "path", path, "snapshot", sp, "taken", snap.Taken, "pid", locked.PID)
	} else if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}

	db := &DB{bolt: bdb, path: path, readOnly: o.ReadOnly, log: lg, snap: snap, stop: make(chan struct{})}
	db.codec, err = newCodec()
	if err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	have, err := db.init()
	if err == nil && have < SchemaVersion {
		err = db.migrate(have)
	}
	if err == nil {
		err = db.bolt.View(db.loadAgencyRules)
	}
	if err != nil {
		db.codec.close()
		_ = bdb.Close()
		return nil, err
	}
	if !o.ReadOnly {
		db.pidPath = PIDPath(path)
		if err := os.WriteFile(db.pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			_ = bdb.Close()
			return nil, fmt.Errorf("open %s: write pid file: %w", path, err)
		}
		if o.SnapshotInterval > 0 {
			db.done = make(chan struct{})
			go db.snapshotLoop(o.SnapshotInterval)
		}
	}
	return db, nil
}

// init creates the buckets and stamps the schema of a new file, or checks
// the schema of an existing one. It returns the file's schema version: an
// older one is migrated by Open (read-write) or refused with a
// *SchemaError naming the command that migrates it (read-only).
func (db *DB) init() (int, error) {
	have := SchemaVersion
	check := func(tx *bolt.Tx) (found bool, err error) {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return false, nil
		}
		v := m.Get(keyMetaSchema)
		if v == nil {
			return false, nil
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return true, fmt.Errorf("open %s: schema version %q: %w", db.path, v, ErrCorrupt)
		}
		if n > SchemaVersion || n < SchemaVersion && db.readOnly {
			return true, &SchemaError{Path: db.path, Have: n, Want: SchemaVersion}
		}
		have = n
		return true, nil
	}
	if db.readOnly {
		err := db.bolt.View(func(tx *bolt.Tx) error {
			found, err := check(tx)
			if err == nil && !found {
				err = fmt.Errorf("open %s: %w: not a nianbao database (no schema version)", db.path, ErrCorrupt)
			}
			return err
		})
		return have, err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		found, err := check(tx)
		if err != nil {
			return err
		}
		if !found && tx.Bucket(bucketMeta) == nil && bucketCount(tx) > 0 {
			return fmt.Errorf("open %s: %w: a bbolt file without a nianbao schema version", db.path, ErrCorrupt)
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("open %s: create bucket %s: %w", db.path, name, err)
			}
		}
		if !found {
			m := tx.Bucket(bucketMeta)
			if err := m.Put(keyMetaSchema, []byte(strconv.Itoa(SchemaVersion))); err != nil {
				return err
			}
			if err := m.Put(keyMetaCreated, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
				return err
			}
			db.log.Info("created database", "path", db.path, "schema", SchemaVersion)
		}
		return nil
	})
	return have, err
}

func bucketCount(tx *bolt.Tx) int {
	n := 0
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { n++; return nil })
	return n
}

// holderPID reads the pid file beside path. It returns 0 when the file is
// missing, unreadable, names this process, or names a process that no
// longer exists (a writer killed without removing it).
func holderPID(path string) int {
	b, err := os.ReadFile(PIDPath(path))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	if pid != os.Getpid() && !processExists(pid) {
		return 0
	}
	return pid
}

// Path returns the path the DB was opened with (not the snapshot's).
func (db *DB) Path() string { return db.path }

// ReadOnly reports whether the DB was opened read-only.
func (db *DB) ReadOnly() bool { return db.readOnly }

// FromSnapshot returns where the data comes from when a read-only Open
// found the database held by a writer and opened its snapshot instead, or
// nil when the DB reads the database itself.
func (db *DB) FromSnapshot() *SnapshotInfo {
	if db.snap == nil {
		return nil
	}
	s := *db.snap
	return &s
}

// Close refreshes the reader snapshot (for a writer with unsnapshotted
// writes), releases the file lock and removes the pid file. Closing twice
// returns nil.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	dirty := db.dirty
	db.mu.Unlock()
	close(db.stop)
	if db.done != nil {
		<-db.done
	}
	var errs []error
	if !db.readOnly && dirty && db.done != nil {
		if err := db.writeSnapshot(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := db.bolt.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", db.path, err))
	}
	if db.pidPath != "" {
		if err := os.Remove(db.pidPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("close %s: remove pid file: %w", db.path, err))
		}
	}
	db.codec.close()
	return errors.Join(errs...)
}

// view runs fn in a read transaction.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	if db.isClosed() {
		return ErrClosed
	}
	return db.bolt.View(fn)
}

// update runs fn in a write transaction and marks the snapshot stale.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	if db.isClosed() {
		return ErrClosed
	}
	if db.readOnly {
		return ErrReadOnly
	}
	if err := db.bolt.Update(fn); err != nil {
		return err
	}
	db.mu.Lock()
	db.dirty = true
	db.mu.Unlock()
	return nil
}

func (db *DB) isClosed() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.closed
}

// Backup writes a consistent copy of the whole database to w from one read
// transaction; writers continue meanwhile. It returns the bytes written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	if db.isClosed() {
		return 0, ErrClosed
	}
	return db.backup(w)
}

func (db *DB) backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", db.path, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database to path, atomically:
// it writes path+".tmp", syncs it and renames it over path. The copy is an
// ordinary archive that Open accepts.
func (db *DB) BackupFile(path string) (int64, error) {
	if db.isClosed() {
		return 0, ErrClosed
	}
	return db.copyTo(path)
}

func (db *DB) copyTo(path string) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup %s to %s: %w", db.path, path, err)
	}
	n, err := db.backup(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return n, fmt.Errorf("backup %s to %s: %w", db.path, path, err)
	}
	return n, nil
}

// WriteSnapshot refreshes the reader snapshot beside the database now
// (see doc.go). It returns ErrReadOnly on a read-only DB.
func (db *DB) WriteSnapshot() error {
	if db.readOnly {
		return ErrReadOnly
	}
	if db.isClosed() {
		return ErrClosed
	}
	return db.writeSnapshot()
}

func (db *DB) writeSnapshot() error {
	db.snapMu.Lock()
	defer db.snapMu.Unlock()
	db.mu.Lock()
	db.dirty = false
	db.mu.Unlock()
	start := time.Now()
	n, err := db.copyTo(SnapshotPath(db.path))
	if err != nil {
		db.mu.Lock()
		db.dirty = true
		db.mu.Unlock()
		return fmt.Errorf("snapshot: %w", err)
	}
	db.mu.Lock()
	db.lastSnap = time.Now()
	db.mu.Unlock()
	db.log.Debug("wrote snapshot", "path", SnapshotPath(db.path), "bytes", n, "took", time.Since(start))
	return nil
}

// snapshotLoop refreshes the snapshot every interval while writes are
// pending, until Close.
func (db *DB) snapshotLoop(every time.Duration) {
	defer close(db.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
			db.mu.Lock()
			dirty := db.dirty
			db.mu.Unlock()
			if dirty {
				if err := db.writeSnapshot(); err != nil {
					db.log.Warn("refresh snapshot", "err", err)
				}
			}
		}
	}
}
