// Package crawler owns the network side of nianbao: it finds the
// government information-disclosure annual reports (政府信息公开工作年度报告)
// of one configured site and fetches them politely.
//
// One call to (*Crawler).Fetch makes one pass over a Site. Starting from the
// site's start pages it follows report columns (found by their link text:
// 信息公开年报, 政府信息公开工作年度报告, 年度报告…) and their pagination:
// static index_N pages of both TRS createPageHTML conventions (prefix and
// suffix read from the call), ?page=N links, the Guangdong gkmlpt JSON list
// API (SID from window._CONFIG), the Hanweb dataproxy.jsp XML records and
// plain 下一页 links, stopping when a page yields nothing new or the budget
// says so. It picks report
// links by their text or title (…年…政府信息公开…年度报告, …年报), skips
// companion pages (解读/图解/要点/通知/制度/格式), and fetches report pages and
// their attachments (PDF, DOC, DOCX, WPS, XLS, XLSX).
//
// Columns split by the kind of organ are followed as sub-columns:
// 政府年报/部门年报/乡镇年报 anywhere, bare names (区直部门, 县直单位, 镇街) only on
// a page of a 年报 column (title, breadcrumb or link text) and from a menu
// made mostly of columns. Lists in an <iframe> are list pages of their own;
// links written by document.write with string literals are read from the
// script text.
//
// With Options.Browser (a Chromium executable), pages that need JavaScript
// are rendered in a headless browser after their plain fetch: every HTML
// page of a Site with Render, script challenges (瑞数, 加速乐, 网站卫士…; the
// cookies the browser earns then serve the plain client for the host), and
// list pages built by scripts (TRS 动静结合, avalon ms-repeat, Vue v-for). The
// browser fetches nothing itself: every request of a page goes through the
// run's own client, under the same robots.txt, politeness and host rules.
// The rendered DOM takes the same path as a plain body (Document.Rendered,
// with the served bytes in Document.Raw); the XHR/fetch calls a rendered
// list makes to a JSON or XML API are read as lists and the API is paged
// through by its page parameter. Crawler.Close stops the browser.
//
// Every successful response is handed to a Sink as it arrives, as a Document
// with its provenance: list pages (Kind list), report pages (Kind report) and
// attachments (Kind attachment, Parent = the report page). Bodies are raw, as
// served (a GBK page stays GBK; Document.Charset says how the crawler decoded
// it, Document.UTF8 decodes it). The crawler never holds all bodies: memory
// stays flat whatever the size of the site. The same report reached under two
// URLs is delivered twice; deduplication by agency and year is downstream.
//
// The crawler is polite by default: robots.txt is honoured by RFC 9309 (a
// disallowed URL is never requested and counts as failure "robots"; a
// robots.txt answering 4xx allows everything; one answering 5xx, or
// unreachable, disallows the whole host for the run, failure
// "robots: unreachable", retried next run; a file read is kept by the
// Crawler for a day at most, shared by its sites), requests are scheduled per
// host over all the sites of a Crawler (hosts.go: Delay is the least time
// between two requests to a host, with jitter; Parallelism bounds those in
// flight; robots.txt, retries, redirect hops and the browser's requests
// included) and bounded over all hosts (MaxInFlight requests,
// MaxDocuments bodies in hand, MaxConnections connections), with a
// descriptive User-Agent,
// bodies are capped (a longer body is failure "truncated", never delivered),
// and only the allowed hosts are fetched (a redirect elsewhere is failure
// "offsite redirect"). Timeouts, network errors, 429 and 5xx are retried with
// exponential backoff or the server's Retry-After, both capped. Anti-bot
// challenges (瑞数 412/202 $_ts, 加速乐 521 __jsluid, 网站卫士, "Just a
// moment", 安全验证/访问异常, 403 walls, tiny JS-only pages) are failures
// "blocked: <kind>" and never delivered, unless the browser passes them.
//
// Report pages and attachments are fetched with If-None-Match /
// If-Modified-Since from the previous run; a 304 counts as NotModified and is
// not delivered. A body whose hash equals the previous one is delivered with
// Unchanged set. List pages are always fetched fresh.
//
// Every Fetch runs within a Budget (budget.go) that ends it whatever the
// site does: pages per run, pagination depth per column, a novelty rule
// (a column stops after consecutive list pages without a report link of
// new text) and wall-clock time. A limit reached is a failure with reason
// "budget: …"; after a run-wide limit the queue is dropped, so that the
// next run starts again from the start pages.
//
// Bodies are read by the crawler's transport into buffers of their exact
// size (body.go); a body over 8 MiB, and any PDF, is handed to the Sink one
// at a time across all the sites of a Crawler, so that large documents never
// meet in memory. Transfer failures are named by what happened: truncated,
// reset, timeout, bad encoding, dns, refused, tls (transfer.go).
//
// Persistent crawl state (validators and content hashes per URL, the pending
// queue, failed URLs to retry) goes through the small State interface. A
// Fetch that is interrupted (context cancelled, a failing sink) leaves its
// queue in State and the next Fetch resumes it without fetching again what
// was done; URLs that failed are retried by the next run. MemState
// is an in-memory implementation; the nianbao command implements State on
// top of its store.
//
// Progress is reported as structured events (Options.OnEvent); the package
// never prints and logs only to Options.Logger. It does not parse report
// tables, does not store anything and imports no other nianbao package. colly
// (github.com/gocolly/colly/v2) does the fetching and chromedp
// (github.com/chromedp/chromedp) drives the browser; their types never leave
// this package.
package crawler
