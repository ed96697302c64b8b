package pgtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between a test's code and the test server, which
// the test turns into an outage: Refuse is a server that is down, Hang one
// that stopped answering (a network partition, a server paused with
// SIGSTOP). The cluster itself is shared by the whole test binary and is
// never stopped.
//
//	p := pgtest.NewProxy(t, pgtest.URL(t))
//	db := open(p.URL) // through the proxy
//	p.Hang()          // nothing passes any more
//	p.Pass()          // new connections pass again
type Proxy struct {
	URL string // the target's URL with the proxy's address

	ln     net.Listener
	target string // host:port

	mu      sync.Mutex
	mode    proxyMode
	changed chan struct{} // closed when mode changes
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
}

type proxyMode int

const (
	proxyPass proxyMode = iota
	proxyRefuse
	proxyHang
)

// NewProxy starts a proxy to the server of rawURL (a URL from URL) until
// the test ends.
func NewProxy(tb testing.TB, rawURL string) *Proxy {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatalf("pgtest: proxy to a URL that does not parse")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{ln: ln, target: u.Host, changed: make(chan struct{}), conns: map[net.Conn]bool{}}
	u.Host = ln.Addr().String()
	p.URL = u.String()
	p.wg.Go(p.serve)
	tb.Cleanup(p.close)
	return p
}

// Pass lets new connections through again. Connections caught by Hang
// stay caught, their bytes lost, as a partition's are: the client has to
// give them up.
func (p *Proxy) Pass() { p.set(proxyPass) }

// Refuse closes every connection and each new one at once, as a server
// that is down (or restarting) does.
func (p *Proxy) Refuse() {
	p.set(proxyRefuse)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Hang stops all traffic: what is sent on an open connection is never
// answered, and new connections are accepted (as the kernel does for a
// paused server) but go no further.
func (p *Proxy) Hang() { p.set(proxyHang) }

func (p *Proxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Proxy) state() (proxyMode, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode, p.changed
}

// track remembers c to close it; it reports false when the proxy closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	c.Close()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			c.Close()
			return
		}
		p.wg.Go(func() { p.handle(c) })
	}
}

// handle passes one client connection on, as the mode says.
func (p *Proxy) handle(client net.Conn) {
	defer p.untrack(client)
	switch mode, _ := p.state(); mode {
	case proxyRefuse:
		return
	case proxyHang:
		p.holdUntilClosed(client)
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if mode, _ := p.state(); mode == proxyHang {
					p.holdUntilClosed(src)
					return
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done // one side ended (or hangs no more): end both
	client.Close()
	server.Close()
	<-done
}

// holdUntilClosed keeps c open, passing nothing, until its other end or
// the proxy closes it; what it sends is read and dropped.
func (p *Proxy) holdUntilClosed(c net.Conn) {
	io.Copy(io.Discard, c)
}

// close stops the proxy and closes every connection.
func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
