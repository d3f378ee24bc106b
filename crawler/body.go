package crawler

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Bodies are read by the crawler's transport, not by colly. colly reads a
// body with io.ReadAll, whose buffer grows by copying: a 50 MB body held
// more than twice its size while it arrived, and several such bodies (one
// per site and slot) could be in flight at once. The transport reads a
// body with a known length into a buffer of exactly that length (one of
// unknown length in chunks, joined once), and a body over bigBody only
// while it holds the Crawler's large-body token, which it keeps until the
// sink has handled the document. colly gets an empty body and a header
// naming the one the crawler keeps.

// bodyHeader is the response header under which the transport leaves the
// id of a body it read (see run.readBody).
const bodyHeader = "X-Nianbao-Body"

// bigBody is the size above which a body is read and handed to the sink
// one at a time across the whole Crawler (all sites): a large body costs
// several times its size while it is decoded for link discovery, archived
// and parsed, and a few of them at once would take the crawl's memory far
// past what the rest of it needs. PDFs of any size are handed over under
// the same token (they are parsed by an engine with a memory of its own,
// up to the parser's ceiling, and one at a time anyway), so that such a
// parse never meets a large body. Other bodies never wait.
const bigBody = 8 << 20

// noReadKey marks a request whose body the transport leaves to its caller
// (robots.txt).
type noReadKey struct{}

// fetchedBody is a body read by the transport, waiting for onResponse.
type fetchedBody struct {
	body []byte
	// tooLong is set when the body went past Options.MaxBodySize (body is
	// then nil).
	tooLong bool
	// big is set when the read holds the large-body token.
	big bool
	// slot holds the body's document share of the Crawler's gate
	// (MaxDocuments) until the Sink has handled it; nil for robots.txt
	// and browser requests, and without a gate.
	slot *gateSlot
}

// readBody reads the body of a final response (called by retryTransport
// for every response that is not a redirect), leaves it in r.bodies under
// the id it puts in the bodyHeader response header, and gives colly an
// empty body. The body keeps slot's document share until giveBody. A read
// error fails the request with that error. A body announced longer than
// MaxBodySize is not read: onHeaders records it.
func (r *run) readBody(req *http.Request, resp *http.Response, slot *gateSlot) error {
	if req.Context().Value(noReadKey{}) != nil || strings.HasSuffix(req.URL.Path, ".xml.gz") {
		return nil // robots.txt; colly gunzips .xml.gz bodies itself
	}
	defer resp.Body.Close()
	n := resp.ContentLength
	if r.maxBody > 0 && n > r.maxBody {
		resp.Body = http.NoBody
		return nil
	}
	fb := &fetchedBody{}
	take := func() error {
		if !r.takeToken(req.Context()) {
			return req.Context().Err()
		}
		fb.big = true
		return nil
	}
	fail := func(err error) error {
		r.giveBody(fb)
		return err
	}
	if n > bigBody {
		if err := take(); err != nil {
			return err
		}
	}
	limit := int64(-1)
	if r.maxBody > 0 {
		limit = r.maxBody + 1 // one byte more shows a longer body
	}
	var body []byte
	if n >= 0 && (limit < 0 || n < limit) {
		// Known length: one buffer of that size.
		body = make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fail(err)
		}
	} else {
		var chunks [][]byte
		total := int64(0)
		for limit < 0 || total < limit {
			size := int64(64 << 10)
			if total >= 1<<20 {
				size = 1 << 20
			}
			if limit >= 0 {
				size = min(size, limit-total)
			}
			c := make([]byte, size)
			k, err := readFull(resp.Body, c)
			total += int64(k)
			chunks = append(chunks, c[:k])
			if !fb.big && total > bigBody {
				if err := take(); err != nil {
					return fail(err)
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return fail(err)
			}
		}
		if limit >= 0 && total >= limit {
			fb.tooLong = true
		} else {
			body = make([]byte, 0, total)
			for _, c := range chunks {
				body = append(body, c...)
			}
		}
	}
	fb.body = body
	fb.slot = slot
	slot.keep() // before the deferred Close, which ends the request
	r.mu.Lock()
	r.nextBody++
	id := strconv.Itoa(r.nextBody)
	r.bodies[id] = fb
	r.mu.Unlock()
	resp.Header.Set(bodyHeader, id)
	resp.Body = http.NoBody
	return nil
}

// takeBody returns the body the transport read for a response, and forgets
// it; nil when colly read the body.
func (r *run) takeBody(hdr http.Header) *fetchedBody {
	id := hdr.Get(bodyHeader)
	if id == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fb := r.bodies[id]
	delete(r.bodies, id)
	return fb
}

// takeToken waits for the large-body token; false when ctx ends first.
func (r *run) takeToken(ctx context.Context) bool {
	select {
	case r.big <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// isPDF reports whether body is a PDF (as the parser tells it).
func isPDF(body []byte) bool {
	return bytes.Contains(body[:min(len(body), 1024)], []byte("%PDF-"))
}

// giveBody gives back the large-body token fb holds, if any, and its
// document share of the gate.
func (r *run) giveBody(fb *fetchedBody) {
	if fb == nil {
		return
	}
	if fb.big {
		fb.big = false
		<-r.big
	}
	fb.slot.releaseDoc()
}

// dropBodies gives back the tokens of bodies never handed to onResponse
// (a request that colly failed after the transport read its body).
func (r *run) dropBodies() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, fb := range r.bodies {
		r.giveBody(fb)
		delete(r.bodies, id)
	}
}

// withoutBodyRead marks ctx's requests as read by their caller.
func withoutBodyRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, noReadKey{}, true)
}

// readFull is io.ReadFull that tells the end of the body (io.EOF, with
// whatever was read before it) from a body cut short (the reader's own
// error, such as io.ErrUnexpectedEOF from a chunked body without its last
// chunk), which io.ReadFull reports alike.
func readFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
