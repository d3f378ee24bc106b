package crawler

import (
	"context"
	"errors"
)

func (c *Crawler) fetch(ctx context.Context, site Site, sink Sink) (Stats, error) {
	return Stats{Site: site.Name}, errors.New("crawler: not implemented yet")
}

func decodeWith(b []byte, charset string) []byte { return b }
