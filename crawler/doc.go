// Package crawler owns the network side of nianbao: it finds the
// government information-disclosure annual reports (政府信息公开工作年度报告)
// of one configured site and fetches them politely.
//
// One call to (*Crawler).Fetch makes one pass over a Site. Starting from the
// site's start pages it follows report columns and their pagination (static
// index_N pages of both createPageHTML conventions, ?page=N links, the
// Guangdong gkmlpt JSON list API, the Hanweb dataproxy.jsp XML records and
// plain 下一页 links), picks report links by their text and fetches report
// pages and their attachments (PDF, DOC, DOCX, WPS, XLS, XLSX). Every capture
// is handed, as it arrives, to a Sink that the caller provides: the crawler
// never keeps all bodies in memory.
//
// The crawler is polite by default: robots.txt is honoured, requests are
// limited per host (delay with jitter, parallelism), bodies are capped,
// transient failures (timeouts, 429, 5xx) are retried with backoff and
// Retry-After, and report pages and attachments are fetched with
// If-None-Match / If-Modified-Since so that a re-crawl of an unchanged site
// downloads list pages only.
//
// Persistent crawl state (validators and content hashes per URL, the pending
// queue, failed URLs to retry) goes through the small State interface, so an
// interrupted Fetch is resumed by the next one. MemState is an in-memory
// implementation; the nianbao command implements State on top of its store.
//
// The crawler does not parse report tables and does not store anything: it
// imports no other nianbao package. colly types never leave this package.
package crawler
