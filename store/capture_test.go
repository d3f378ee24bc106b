package store

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDB_PutCapture_Dedup(t *testing.T) {
	db, _ := mustOpen(t, nil)
	page := fixturePages(t)[0]

	first := testCapture("https://www.pingtan.gov.cn/a.html", 200)
	first.RunID = "run-1"
	isNew, err := db.PutCapture(first, page)
	if err != nil || !isNew {
		t.Fatalf("first PutCapture = %v, %v; want new", isNew, err)
	}
	// The same bytes from another URL and run: stored once, first
	// provenance kept.
	second := testCapture("https://www.pingtan.gov.cn/mirror/a.html", 200)
	second.RunID = "run-2"
	isNew, err = db.PutCapture(second, bytes.Clone(page))
	if err != nil || isNew {
		t.Fatalf("second PutCapture = %v, %v; want not new", isNew, err)
	}
	// And twice within one batch.
	res, err := db.PutCaptures([]CaptureItem{{second, page}, {first, []byte("other body")}, {first, []byte("other body")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, false}; !equalBools(res, want) {
		t.Errorf("PutCaptures isNew = %v; want %v", res, want)
	}

	var caps []Capture
	if err := db.Captures(context.Background(), func(c Capture) error { caps = append(caps, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(caps) != 2 {
		t.Fatalf("stored %d captures; want 2", len(caps))
	}
	c, err := db.Capture(sha(string(page)))
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != first.URL || c.RunID != "run-1" || c.Size != int64(len(page)) || c.ETag != `"abc"` || c.Status != 200 {
		t.Errorf("Capture = %+v; want the first provenance and size %d", c, len(page))
	}
	if c.StoredSize <= 0 || c.StoredSize > c.Size/4 {
		t.Errorf("StoredSize = %d for a %d-byte page; want it compressed at least 4×", c.StoredSize, c.Size)
	}
	body, err := db.CaptureBody(c.SHA256)
	if err != nil || !bytes.Equal(body, page) {
		t.Errorf("CaptureBody: %d bytes, %v; want the page back", len(body), err)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A 3 MB attachment of incompressible bytes is split into 256 KiB chunks
// and read back whole.
func TestDB_PutCapture_LargeBodyChunked(t *testing.T) {
	db, _ := mustOpen(t, nil)
	body := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	c := testCapture("https://www.pingtan.gov.cn/att/2023.pdf", 200)
	c.ContentType = "application/pdf"
	if _, err := db.PutCapture(c, body); err != nil {
		t.Fatal(err)
	}
	got, err := db.CaptureBody(sha(string(body)))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("CaptureBody: %d bytes, %v; want %d bytes back", len(got), err, len(body))
	}
	chunks := 0
	if err := db.view(func(tx *boltTx) error {
		chunks = tx.Bucket(bucketBodies).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := (len(body) + chunkSize) / chunkSize; chunks != want {
		t.Errorf("body stored in %d chunks; want %d", chunks, want)
	}
}

func TestDB_PutCapture_Errors(t *testing.T) {
	db, _ := mustOpen(t, nil)
	c := testCapture("https://a.gov.cn/", 200)
	c.SHA256 = sha("something else")
	if _, err := db.PutCapture(c, []byte("body")); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutCapture with a wrong SHA256: err = %v; want ErrInvalid", err)
	}
	if _, err := db.Capture(sha("missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Capture(missing): err = %v; want ErrNotFound", err)
	}
	if _, err := db.CaptureBody(sha("missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("CaptureBody(missing): err = %v; want ErrNotFound", err)
	}
	if _, err := db.CaptureBody("xyz"); !errors.Is(err, ErrInvalid) {
		t.Errorf("CaptureBody(xyz): err = %v; want ErrInvalid", err)
	}
	if ok, err := db.HasCapture(sha("missing")); ok || err != nil {
		t.Errorf("HasCapture(missing) = %v, %v", ok, err)
	}
}

func TestDB_CaptureBody_DetectsCorruption(t *testing.T) {
	db, _ := mustOpen(t, nil)
	body := []byte(strings.Repeat("<td>政府信息公开</td>", 100))
	if _, err := db.PutCapture(testCapture("https://a.gov.cn/", 200), body); err != nil {
		t.Fatal(err)
	}
	key, _ := shaKey(sha(string(body)))
	// Replace the stored chunk with the compressed form of other bytes.
	if err := db.update(func(tx *boltTx) error {
		return tx.Bucket(bucketBodies).Put(chunkKey(key, 0), db.codec.compress([]byte("tampered")))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CaptureBody(sha(string(body))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("CaptureBody(tampered): err = %v; want ErrCorrupt", err)
	}
}

func TestDB_Captures_ContextCanceled(t *testing.T) {
	db, _ := mustOpen(t, nil)
	for _, b := range []string{"a", "b", "c"} {
		if _, err := db.PutCapture(testCapture("https://a.gov.cn/"+b, 200), []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := db.Captures(ctx, func(Capture) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("Captures after cancel: n=%d err=%v; want 1, context.Canceled", n, err)
	}
}
