package crawler

import (
	"context"
	"time"
)

// Kind says what a fetched URL is to the crawl.
type Kind string

// The kinds of documents.
const (
	// KindList is a list (column) page, a pagination page or a list API
	// response (gkmlpt JSON, Hanweb dataproxy XML). List pages are always
	// fetched fresh, without conditional headers.
	KindList Kind = "list"
	// KindReport is a page whose link text or title looks like an annual
	// report (…年…政府信息公开…年度报告, …年报).
	KindReport Kind = "report"
	// KindAttachment is a file (PDF, DOC, DOCX, WPS, XLS, XLSX) linked from a
	// report page, or linked as a report from a list page.
	KindAttachment Kind = "attachment"
)

// Document is one capture: a response body with its provenance. The crawler
// delivers documents to the Sink as they arrive.
type Document struct {
	// Site is the Site.Name the document was fetched for.
	Site string
	// Kind is what the document is to the crawl.
	Kind Kind
	// URL is the URL that was requested. For a POST (Hanweb dataproxy) it is
	// the URL with its query; the form is not part of it.
	URL string
	// FinalURL is the URL after redirects (equal to URL without redirects).
	FinalURL string
	// Status is the HTTP status (200, or another 2xx).
	Status int
	// ContentType is the Content-Type header as served, charset included.
	ContentType string
	// Charset is the encoding the crawler decoded the body with for link
	// discovery ("utf-8", "gb18030", …): the header's charset, else the
	// <meta> one, else a GB18030 trial. Empty for binary attachments.
	Charset string
	// ETag and LastModified are the response's validators ("" when absent).
	ETag         string
	LastModified string
	// FetchedAt is when the response was received.
	FetchedAt time.Time
	// Body is the raw body as served (after HTTP content decoding such as
	// gzip, but NOT transcoded: a GBK page stays GBK). It is never truncated.
	Body []byte
	// SHA256 is the lower-case hex SHA-256 of Body.
	SHA256 string
	// Previous is the SHA-256 recorded in State for the previous capture of
	// URL, "" if there is none.
	Previous string
	// Unchanged is true when SHA256 equals Previous: the server ignored the
	// conditional request but the body is identical. Such documents are
	// still delivered (so the sink can note the sighting) but a sink may
	// skip them.
	Unchanged bool
	// LinkText is the anchor text (or list API title) of the link that led to
	// the document; for a start page it is "".
	LinkText string
	// Parent is the URL of the page that linked the document ("" for start
	// pages). An attachment's Parent is its report page.
	Parent string
	// Title is the page's title hint: <meta name="ArticleTitle">, else
	// <title>, else the list API title. "" for attachments and unknown.
	Title string
	// Published is the publication date hint, YYYY-MM-DD when it could be
	// normalised (from the list API or <meta name="PubDate">), "" otherwise.
	Published string
	// Rendered is set when Body is the page as rendered by the browser
	// (Options.Browser): its DOM after the scripts ran, serialised as
	// UTF-8 HTML (ContentType "text/html; charset=utf-8", Charset "utf-8"),
	// not the bytes the server sent. Status, ETag, LastModified and
	// FinalURL are those of the page's last document response.
	Rendered bool
	// Raw is, for a rendered document, the body of the page's last
	// document response as served (after a challenge: the real page), and
	// RawContentType its Content-Type; nil and "" otherwise.
	Raw            []byte
	RawContentType string
}

// UTF8 returns the body decoded to UTF-8 with the Charset the crawler
// detected. Binary documents (Charset "") are returned unchanged.
func (d *Document) UTF8() []byte {
	if d.Charset == "" {
		return d.Body
	}
	return decodeWith(d.Body, d.Charset)
}

// Sink receives every document of a crawl. Handle is called concurrently,
// for up to Options.MaxDocuments documents at once over all the Fetch calls
// of a Crawler, and must be safe for concurrent use. The fetching does not
// wait for it: the run's next requests go while Handle works, and a
// document's place under MaxDocuments is given back only once Handle has
// returned, so a sink that falls behind slows the page requests down
// instead of letting bodies pile up. The crawler records the URL in State
// (validators, hash) only after Handle returned nil, so that a URL recorded
// has its document handled. The Document, including its Body, belongs to
// the sink once Handle is called.
//
// Handle should return an error only for failures that should stop the crawl
// (for example an unwritable store); the crawl then stops as if its context
// had been cancelled, the pending queue stays in State, and Fetch returns the
// error. A parse failure of one document is the sink's own business and
// should not be returned.
type Sink interface {
	Handle(ctx context.Context, doc Document) error
}

// SinkFunc adapts a function to the Sink interface.
type SinkFunc func(ctx context.Context, doc Document) error

// Handle calls f(ctx, doc).
func (f SinkFunc) Handle(ctx context.Context, doc Document) error { return f(ctx, doc) }
