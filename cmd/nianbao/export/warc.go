package export

import (
	"bufio"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nlnwa/gowarc/v3"

	"nianbao/store"
)

// exportWARC writes the raw captures as WARC 1.1 records to w: a warcinfo
// record, then request+response pairs (or resource records for bodies not
// fetched over HTTP). Record IDs are derived from the body's SHA-256, so
// exporting the same archive twice gives the same records (apart from the
// warcinfo date). With o.Gzip every record is its own gzip
// member, as .warc.gz readers expect.
func writeWARC(ctx context.Context, db *store.DB, o Options, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	ww := &warcWriter{w: bw, gzip: o.Gzip, m: gowarc.NewMarshaler()}
	if err := ww.warcinfo(o); err != nil {
		return err
	}
	if o.Year == 0 && o.Agency == "" {
		// Every capture, in SHA-256 order. CaptureBody opens its own read
		// transaction inside Captures' one: safe here because the DB is
		// read-only, so no writer in this process can wait between them.
		err := db.Captures(ctx, func(c store.Capture) error { return ww.capture(db, c) })
		if err != nil {
			return err
		}
	} else {
		seen := map[string]bool{} // capture SHA-256s written
		f := store.Filter{AgencyContains: strings.TrimSpace(o.Agency), Year: o.Year, LatestOnly: !o.AllVersions}
		err := db.ForEachReport(ctx, f, func(rec *store.ReportRecord) error {
			for _, v := range rec.Versions {
				for _, sha := range v.Captures {
					if seen[sha] {
						continue
					}
					seen[sha] = true
					c, err := db.Capture(sha)
					if err != nil {
						return fmt.Errorf("report %s %d version %d: %w", rec.Agency, rec.Year, v.N, err)
					}
					if err := ww.capture(db, c); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write warc: %w", err)
	}
	return nil
}

// warcWriter marshals records to w, one gzip member per record when gzip
// is set.
type warcWriter struct {
	w    *bufio.Writer
	gzip bool
	m    gowarc.Marshaler
	info string // the warcinfo record's ID
}

// recordOptions are the options of every built record: sha256 digests
// added, lengths computed, bodies over 8 MiB buffered on disk.
var warcRecordOptions = []gowarc.WarcRecordOption{
	gowarc.WithAddMissingDigest(true),
	gowarc.WithAddMissingContentLength(true),
	gowarc.WithDefaultDigestAlgorithm("sha256"),
	gowarc.WithBufferMaxMemBytes(8 << 20),
}

// recordID returns a stable WARC-Record-ID for a record of kind made from
// the capture with hex SHA-256 sha: a name-based UUID (RFC 9562 version 8
// layout) of sha256(kind + ":" + sha).
func recordID(kind, sha string) string {
	h := sha256.Sum256([]byte(kind + ":" + sha))
	h[6] = h[6]&0x0f | 0x80
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("<urn:uuid:%x-%x-%x-%x-%x>", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (ww *warcWriter) write(rb gowarc.WarcRecordBuilder, what string) error {
	rec, _, err := rb.Build()
	if err != nil {
		return fmt.Errorf("build warc %s record: %w", what, err)
	}
	defer rec.Close()
	var dst io.Writer = ww.w
	var zw *gzip.Writer
	if ww.gzip {
		zw = gzip.NewWriter(ww.w)
		dst = zw
	}
	if _, _, err := ww.m.Marshal(dst, rec, 0); err != nil {
		return fmt.Errorf("write warc %s record: %w", what, err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return fmt.Errorf("write warc %s record: %w", what, err)
		}
	}
	return nil
}

func (ww *warcWriter) warcinfo(o Options) error {
	rb := gowarc.NewRecordBuilder(gowarc.Warcinfo, warcRecordOptions...)
	ww.info = recordID("warcinfo", time.Now().UTC().Format(time.RFC3339Nano))
	rb.AddWarcHeader(gowarc.WarcRecordID, ww.info)
	rb.AddWarcHeaderTime(gowarc.WarcDate, time.Now().UTC().Truncate(time.Second))
	rb.AddWarcHeader(gowarc.ContentType, gowarc.ApplicationWarcFields)
	if o.Filename != "" {
		rb.AddWarcHeader(gowarc.WarcFilename, filepath.Base(o.Filename))
	}
	sel := "all captures"
	if o.Year != 0 || o.Agency != "" {
		sel = fmt.Sprintf("captures of reports year=%d agency=%q all-versions=%t", o.Year, o.Agency, o.AllVersions)
	}
	fmt.Fprintf(rb, "software: nianbao %s\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"+
		"description: 政府信息公开工作年度报告 archive export (%s); HTTP headers are rebuilt from the stored status, Content-Type, ETag and Last-Modified; bodies are the bytes as fetched\r\n",
		cmp.Or(o.Software, "(devel)"), sel)
	return ww.write(rb, "warcinfo")
}

// capture writes c with its body: request and response records for an
// HTTP(S) fetch, a resource record otherwise (imported local files).
func (ww *warcWriter) capture(db *store.DB, c store.Capture) error {
	body, err := db.CaptureBody(c.SHA256)
	if err != nil {
		return err
	}
	target := c.URL
	if c.FinalURL != "" {
		target = c.FinalURL
	}
	u, perr := url.Parse(target)
	isHTTP := perr == nil && (u.Scheme == "http" || u.Scheme == "https") && c.Status > 0
	date := c.FetchedAt.UTC()
	ctype := c.ContentType
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	if !isHTTP {
		if perr != nil || u.Scheme == "" {
			abs, err := filepath.Abs(target)
			if err != nil {
				abs = target
			}
			target = (&url.URL{Scheme: "file", Path: abs}).String()
		}
		rb := gowarc.NewRecordBuilder(gowarc.Resource, warcRecordOptions...)
		rb.AddWarcHeader(gowarc.WarcRecordID, recordID("resource", c.SHA256))
		rb.AddWarcHeader(gowarc.WarcTargetURI, target)
		rb.AddWarcHeaderTime(gowarc.WarcDate, date)
		rb.AddWarcHeader(gowarc.WarcWarcinfoID, ww.info)
		rb.AddWarcHeader(gowarc.ContentType, ctype)
		if _, err := rb.Write(body); err != nil {
			return fmt.Errorf("warc resource %s: %w", target, err)
		}
		return ww.write(rb, "resource "+target)
	}

	respID, reqID := recordID("response", c.SHA256), recordID("request", c.SHA256)

	req := gowarc.NewRecordBuilder(gowarc.Request, warcRecordOptions...)
	req.AddWarcHeader(gowarc.WarcRecordID, reqID)
	req.AddWarcHeader(gowarc.WarcTargetURI, target)
	req.AddWarcHeaderTime(gowarc.WarcDate, date)
	req.AddWarcHeader(gowarc.WarcWarcinfoID, ww.info)
	req.AddWarcHeader(gowarc.WarcConcurrentTo, respID)
	req.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=request")
	fmt.Fprintf(req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host)

	resp := gowarc.NewRecordBuilder(gowarc.Response, warcRecordOptions...)
	resp.AddWarcHeader(gowarc.WarcRecordID, respID)
	resp.AddWarcHeader(gowarc.WarcTargetURI, target)
	resp.AddWarcHeaderTime(gowarc.WarcDate, date)
	resp.AddWarcHeader(gowarc.WarcWarcinfoID, ww.info)
	resp.AddWarcHeader(gowarc.ContentType, "application/http;msgtype=response")
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "HTTP/1.1 %d %s\r\n", c.Status, http.StatusText(c.Status))
	fmt.Fprintf(&hdr, "Content-Type: %s\r\n", ctype)
	fmt.Fprintf(&hdr, "Content-Length: %s\r\n", strconv.Itoa(len(body)))
	if c.ETag != "" {
		fmt.Fprintf(&hdr, "ETag: %s\r\n", c.ETag)
	}
	if c.LastModified != "" {
		fmt.Fprintf(&hdr, "Last-Modified: %s\r\n", c.LastModified)
	}
	hdr.WriteString("\r\n")
	if _, err := resp.WriteString(hdr.String()); err != nil {
		return fmt.Errorf("warc response %s: %w", target, err)
	}
	if _, err := resp.Write(body); err != nil {
		return fmt.Errorf("warc response %s: %w", target, err)
	}
	if err := ww.write(req, "request "+target); err != nil {
		return err
	}
	return ww.write(resp, "response "+target)
}
