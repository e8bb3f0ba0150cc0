package notifytest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply is how the receiver answers one request.
type Reply struct {
	Status int // 0: 200
	Body   string
	Header map[string]string
	Hang   bool // block until the client gives up
}

// Request is one recorded request.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// Receiver is a running HTTP server answering with scripted replies.
type Receiver struct {
	*httptest.Server

	mu      sync.Mutex
	replies []Reply
	reqs    []Request
}

// NewReceiver starts a receiver that answers request i with replies[i],
// repeating the last reply once they run out (200 when none is given). It
// closes when t ends.
func NewReceiver(t testing.TB, replies ...Reply) *Receiver {
	t.Helper()
	r := &Receiver{replies: replies}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, Request{Method: req.Method, Path: req.URL.RequestURI(), Header: req.Header.Clone(), Body: body})
	reply := Reply{}
	if len(r.replies) > 0 {
		reply = r.replies[0]
		if len(r.replies) > 1 {
			r.replies = r.replies[1:]
		}
	}
	r.mu.Unlock()
	if reply.Hang {
		<-req.Context().Done()
		return
	}
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	if reply.Status == 0 {
		reply.Status = http.StatusOK
	}
	w.WriteHeader(reply.Status)
	_, _ = io.WriteString(w, reply.Body)
}

// Requests returns the requests received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// ClosedAddr returns a loopback host:port nothing listens on: a receiver
// that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Sleeps records the back-off waits a delivery asks for and returns at
// once.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep is a notify.Policy Sleep.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// Waits returns the waits asked for so far.
func (s *Sleeps) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}
