// Package store is nianbao's archive: one embedded bbolt file (default
// data/nianbao.db) holding every body ever fetched, the versioned reports
// parsed from them, the crawl runs, and the crawl state that lets an
// interrupted crawl resume. It imports parser for the report model only; it
// knows no HTML, HTTP or CSV.
//
// # Captures
//
// Every fetched body (HTML, PDF, DOCX, …) is stored once, keyed by its
// SHA-256, compressed with zstd, with its provenance (Capture: URL, final
// URL, status, Content-Type, ETag, Last-Modified, fetch time, run). Bodies
// already stored are neither compressed nor written again. CaptureBody
// verifies the hash on every read.
//
// Large bodies are chunked inside the database, not kept as files beside
// it: the compressed body is split into chunks of at most 256 KiB, each its
// own key (sha256 + chunk index) in the "bodies" bucket. Why chunks rather
// than content-addressed files:
//   - One file is the whole archive. Backup (Tx.WriteTo), the reader
//     snapshot and a copy to another machine are one consistent file; with
//     side files a backup would need a second, unsynchronised copy step.
//   - A capture and its body commit in one transaction, so a crash can
//     never leave an index entry without its body or an orphan file
//     (verified by the SIGKILL test in crash_test.go).
//   - Chunking keeps the B+tree healthy: bbolt stores a large value in a
//     run of contiguous overflow pages, and a 30 MB PDF stored whole would
//     need 7,500 contiguous free pages, which a fragmented freelist rarely
//     has (so the file grows instead). 256 KiB chunks need runs of 65
//     pages, which are reused freely, and a typical HTML page (15–30 KB
//     compressed) is a single chunk.
//
// The cost is that bbolt never shrinks its file, which side files would
// avoid; the archive is append-mostly (captures are never deleted), so
// this matters little.
//
// # Reports and versions
//
// A report is one (agency, year). PutReport stores a new version only when
// the report's normalised numbers change, as judged by CellsDigest over the
// (table, row, column, value, merged_with) multiset of its cells. The raw
// printed text is left out on purpose: a re-published page that prints
// "０" instead of "0", or "—" instead of "/", has the same numbers, so it is
// not a new version; a corrected number, an added row or a cell now merged
// into another row is. Each version records the captures it was parsed
// from, the parser version and the run, so a number can always be traced
// back to the bytes it came from, and a better parser can be run over the
// archive (nianbao reparse) without crawling again.
//
// # Outcomes
//
// Every body fetched from a report page or attachment gets an outcome at
// its URL (Outcome, keyed by body hash and URL): the report version it
// made or matched, or the reason it made none (not a report, no year, a
// parse error, an attachment archived beside a page with tables, a page
// superseded by its attachment, a duplicate of a body handled at another
// URL), or "deferred" for a page without tables waiting for its
// attachments until the end of the crawl run. PutDocuments writes a batch
// of bodies, their report versions and their outcomes in one transaction,
// and a crawl records a URL's crawl state (its validators and body hash)
// only after that transaction committed. So there is no moment at which a
// URL's validators are stored and what its body produced is not: a crawl
// that gets 304 for the URL can trust the archive.
//
// Archives written before outcomes were recorded can hold exactly that
// state (a crash between a capture and its report). AdoptVersions records
// the outcome of every current body a report version was made from,
// without parsing; Unsettled lists the rest (bodies without an outcome,
// deferred pages), which the crawl re-parses from the archive before it
// fetches anything. Check verifies the whole archive (bbolt's Tx.Check,
// report versions' captures, outcomes) for 'nianbao check'. The outcomes
// bucket is created by the first read-write Open; no schema change was
// needed, and readers treat a missing bucket as empty.
//
// # Runs and crawl state
//
// Each run (BeginRun … FinishRun) records its sites, counts and per-URL
// failures. The crawl state is per URL (URLState: ETag, Last-Modified, last
// body hash, last status and error, attempts) plus a persistent FIFO queue
// per site (Enqueue, Pending, Done), so a crawl killed half-way resumes
// with the URLs it had not finished and conditional requests for the rest.
//
// # Locking and readers while a crawl runs
//
// bbolt allows one read-write process per file (an exclusive flock), and
// its ReadOnly open takes a shared flock that blocks while a writer holds
// the file. Open therefore waits at most Options.Timeout (3 s by default,
// where bbolt would wait forever) and returns a *LockedError: "database is
// in use by another nianbao process (pid N)". bbolt's flock carries no pid,
// so a writer writes its pid to PATH.pid on open and removes it on Close;
// a stale pid file (after a kill) is recognised because that process no
// longer exists.
//
// Read-only commands (export, diff, ls) must work during a crawl. The
// writer keeps a snapshot, PATH.snapshot: a consistent copy written with
// Tx.WriteTo to a temporary file and renamed into place, refreshed after
// every FinishRun, every Options.SnapshotInterval (2 minutes) while there
// are new writes, and on Close. A read-only Open that finds the database
// locked opens the snapshot instead (after 200 ms, not the full timeout,
// when the pid file names a live writer), and FromSnapshot tells the
// command so
// (it should say "reading the snapshot of 18:02; a crawl is running (pid
// N)"). Readers never block the writer for longer than their own open: the
// rename leaves a reader's open snapshot intact. We chose this over a
// server socket because it needs no running daemon, works for one-shot
// crawls driven by cron, and keeps readers out of the writer's process.
// The cost is staleness of at most one interval, and a copy of the file
// per refresh (110 MB took 0.4 s here, with fsync).
//
// Backup writes a consistent copy from one read transaction while writes
// continue; from another process during a crawl it copies the snapshot.
//
// # Schema
//
// The layout (buckets and key encodings) is in schema.go. The file's
// schema version is stored in the "meta" bucket and checked on Open: a file
// from a newer nianbao gives ErrSchemaTooNew rather than being misread.
// Every JSON value also carries the version it was written with ("v").
package store
