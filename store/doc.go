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
// A report is one organ's statistics year: (agency_id, year), the organ
// being the agency register's (below). PutReport stores a new version only when
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
// # The agency register
//
// Researchers study a panel, organ × year, so a report is keyed by the
// organ that published it, not by the name it happens to print. The
// register (agency.go) holds one record per organ: its agency_id, its name,
// the names its reports printed with the years and the identity sources
// (parser.IdentitySource) each was read from, its organ codes, its sites,
// its division, and the configuration rule bound to it.
//
// Every report write asks the register inside its transaction (keyFor).
// A report that names its organ (parser.Report.AgencyIdentified) is given
// to the organ agency.Resolve picks among the organs indexed under the
// same stem (agency.Stem: the name written out without parent divisions),
// the same organ code or the same configuration rule: names that differ
// only by parent divisions, notes or a common short form are one organ
// when the site or a valid organ code agrees; otherwise a new organ is
// registered and the merge is only proposed (Proposals). A report whose
// organ is only the configured site name (a fallback) is never stacked
// under that name: it goes to the organ its valid organ code names, or
// that its URL's previous body was attributed to for the same year, or
// else to its own source, "u:" + hash(URL) (equal numbers link nothing:
// small organs print all-zero tables alike). When a page gives an
// identified report later, its unidentified report of that year joins the
// organ's.
//
// IDs. An organ's agency_id is "a:" and 12 hex digits of the SHA-256 of
// the stem of the name it was first registered under (淮安市洪泽区人民政府
// and 洪泽区人民政府 both hash 洪泽区人民政府), so two archives that meet an
// organ give it the same ID whatever name came first; when another organ
// holds that ID (新华区人民政府 of two cities), the full written-out name,
// then the site, then a counter are hashed instead. An unidentified
// report's ID is "u:" and 16 hex digits of the SHA-256 of its URL. An ID,
// once assigned, stays with its organ: renames add names, a configuration
// rule that joins two organs keeps the older ID and leaves the other as a
// redirect (Agency and Report follow it), and nothing ever reuses an ID.
// Removing a rule from the configuration does not split what it joined.
//
// Configuration rules (agency.Rules: aliases, codes, renames with the year
// they took effect, mergers, splits) are stored in the meta bucket by
// ApplyAgencyRules and consulted first. Regrouping (regroup.go) moves
// stored versions between reports when rules join organs, when reparse
// re-derives identity (Reidentify), and when a version 1 archive is
// migrated: versions keep their history, are ordered by the time they
// were stored, and equal numbers fold into one version; every outcome
// naming a moved version follows it.
//
// Reading the register (for the research layer and the scale work):
//   - ForEachAgency iterates the organs in agency_id order, with the years
//     of their reports; Agency(id) reads one (following a merge).
//   - LookupAgencies(text) finds agency_ids by ID, organ code or any part of
//     a printed name; Report(idOrName, year) reads one report.
//   - ForEachReport(Filter{AgencyID: id}) reads an organ's reports, years
//     in order; Filter{Year}, Filter{Status: "ok"|"fail"|"none"} and
//     Filter{Status: "unidentified"} answer from their indexes, and
//     ReportRecord carries AgencyID, Identified, Site, URL, Title, Status.
//   - Proposals lists the merges the register could not confirm.
//
// Indexes, written in the same transaction as what they index: reports by
// year (year + agency_id) and by status (status + report key), the
// register's stems, names (also the site name of every unidentified
// report) and codes (form + agency_id), and outcomes by report (report key
// + body hash + URL, so that moving a version rewrites exactly the
// outcomes naming it). Check verifies them (ProblemIndex) and
// RebuildIndexes rewrites them.
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
//
// Version 2 added the register and keyed reports by agency_id. A
// read-write Open migrates a version 1 file (migrate.go): each report is
// given to the register as its parser then read it (a name without a
// recorded source is taken as identified, marked "unrecorded"), except a
// report whose versions come from several pages under the site's own name
// (the old crawl's fallback, stacked), which becomes an unidentified report
// per page; the versions are regrouped, the outcomes rewritten, the
// indexes built, each step a transaction of its own and the schema stamped
// last, so an interrupted migration resumes at the next Open. A read-only
// Open of a version 1 file fails with a *SchemaError (ErrSchemaOld) naming
// the command that migrates it ('nianbao reparse', which then re-derives
// every report's identity with the current parser).
package store
