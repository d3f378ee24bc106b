package crawler

import (
	"context"
	"net"
	"sync"
)

// connGate caps the open connections of the Crawler's own transport: a
// dial waits for a free place, and a connection gives its place back when
// it is closed. The transport's idle pool is sized to leave room for the
// requests in flight and their dials (New), so a dial seldom waits; when it
// must, the idle connections (of other hosts) are closed first, since a
// connection the crawl needs now is worth more than one it may reuse.
type connGate struct {
	places    chan struct{}
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	closeIdle func()

	mu         sync.Mutex // protects open and peak
	open, peak int
}

func newConnGate(max int, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *connGate {
	return &connGate{places: make(chan struct{}, max), dial: dial}
}

// DialContext dials within the cap.
func (g *connGate) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	select {
	case g.places <- struct{}{}:
	default:
		if g.closeIdle != nil {
			g.closeIdle()
		}
		select {
		case g.places <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c, err := g.dial(ctx, network, addr)
	if err != nil {
		<-g.places
		return nil, err
	}
	g.mu.Lock()
	g.open++
	g.peak = max(g.peak, g.open)
	g.mu.Unlock()
	return &gatedConn{Conn: c, g: g}, nil
}

func (g *connGate) stats() (open, peak int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open, g.peak
}

// gatedConn gives its place back when closed (once).
type gatedConn struct {
	net.Conn
	g    *connGate
	once sync.Once
}

func (c *gatedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.g.mu.Lock()
		c.g.open--
		c.g.mu.Unlock()
		<-c.g.places
	})
	return err
}
