package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync"
	"testing"
)

// Options shape a Server's behaviour.
type Options struct {
	NoSTARTTLS bool              // do not offer STARTTLS
	Users      map[string]string // user → password for AUTH PLAIN; nil: AUTH not offered
	// DataReplies answer successive DATA transfers ("451 4.3.0 try later");
	// once used up, each is accepted with 250.
	DataReplies []string
}

// Message is one accepted or rejected transfer.
type Message struct {
	From     string
	To       []string
	Data     []byte // as received, dot-unstuffed, CRLF line ends
	TLS      bool   // the session had upgraded with STARTTLS
	User     string // the authenticated user; "": none
	Accepted bool
}

// Server is a running SMTP server.
type Server struct {
	Addr    string         // host:port
	RootCAs *x509.CertPool // trusts the server's certificate

	opts Options
	ln   net.Listener
	tls  *tls.Config
	wg   sync.WaitGroup

	mu         sync.Mutex
	msgs       []Message
	transcript []byte
	sessions   int
	conns      map[net.Conn]struct{}
}

// NewServer starts a server on 127.0.0.1 and stops it when t ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatalf("smtptest: certificate: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{
		Addr: ln.Addr().String(), RootCAs: pool, opts: opts, ln: ln,
		tls:   &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		conns: map[net.Conn]struct{}{},
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for its sessions to end.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Messages returns the transfers so far, rejected ones included.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Transcript returns every line clients sent, DATA included, in plaintext.
func (s *Server) Transcript() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.transcript...)
}

// Sessions returns how many connections the server accepted.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.sessions++
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
			(&session{srv: s}).run(c)
		}()
	}
}

func (s *Server) record(line []byte) {
	s.mu.Lock()
	s.transcript = append(append(s.transcript, line...), '\r', '\n')
	s.mu.Unlock()
}

// dataReply takes the answer for the next DATA transfer.
func (s *Server) dataReply() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.opts.DataReplies) == 0 {
		return "250 2.0.0 OK queued"
	}
	r := s.opts.DataReplies[0]
	s.opts.DataReplies = s.opts.DataReplies[1:]
	return r
}

func (s *Server) addMessage(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}
