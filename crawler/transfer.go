package crawler

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// errTooManyRedirects is the cause of a page's redirect chain cut by the
// crawler's redirect handler.
var errTooManyRedirects = errors.New("too many redirects")

// classifyErr names what went wrong with a request that got no usable
// response, for FetchError.Reason, and says whether the URL is worth
// retrying in the next run. The names say what happened on the wire, so
// that a researcher reading the failures knows whether the site cut the
// transfer, reset the connection, never answered or sent a body that does
// not decode:
//
//	truncated      the body ended early (unexpected EOF, a malformed chunked body)
//	reset          the server closed or reset the connection
//	timeout        no answer, or the body was still arriving, when the time ran out
//	bad encoding   a gzip/deflate body that does not decompress
//	dns            the host name does not resolve
//	refused        nothing listens on the port
//	tls            the TLS handshake or the certificate failed
//	redirects      the redirect chain was too long
//	offsite redirect  a redirect left the allowed domains
//	network        another transport error
//	invalid url    the URL cannot be requested at all
func classifyErr(err error) (reason string, retry bool) {
	var (
		ne    net.Error
		dns   *net.DNSError
		ue    *url.Error
		ce    flate.CorruptInputError
		rhe   tls.RecordHeaderError
		cve   *tls.CertificateVerificationError
		uae   x509.UnknownAuthorityError
		hne   x509.HostnameError
		inval x509.CertificateInvalidError
	)
	msg := err.Error()
	switch {
	case errors.Is(err, ErrOffsiteRedirect):
		return "offsite redirect", false
	case errors.Is(err, errTooManyRedirects):
		return "redirects", false
	case errors.Is(err, ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF),
		// net/http's chunked reader reports a malformed chunked body with
		// plain errors ("malformed chunked encoding", "invalid byte in
		// chunk length", …): the transfer was cut or garbled, the URL is
		// fine.
		strings.Contains(msg, "chunk"):
		return "truncated", true
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, zlib.ErrHeader),
		errors.Is(err, zlib.ErrChecksum), errors.Is(err, zlib.ErrDictionary), errors.As(err, &ce):
		return "bad encoding", true
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout", true
	case errors.As(err, &dns):
		return "dns", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), strings.Contains(msg, "connection reset"), strings.Contains(msg, "server closed"):
		return "reset", true
	case errors.As(err, &rhe), errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &inval),
		strings.Contains(msg, "tls: "):
		return "tls", true
	case errors.As(err, &ue) && ue.Op == "parse":
		return "invalid url", false
	case errors.As(err, &ue), errors.As(err, &ne):
		return "network", true
	}
	return "", false
}
