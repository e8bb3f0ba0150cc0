package smtptest

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/textproto"
	"strings"
)

// session is one client connection.
type session struct {
	srv  *Server
	tp   *textproto.Conn
	tls  bool
	user string
	from string
	to   []string
}

func (ss *session) run(c net.Conn) {
	ss.tp = textproto.NewConn(c)
	if !ss.reply("220 smtptest ESMTP ready") {
		return
	}
	for {
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		ss.srv.record([]byte(line))
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ss.from, ss.to = "", nil
			ok := ss.ehlo()
			if !ok {
				return
			}
		case "STARTTLS":
			if ss.tls || ss.srv.opts.NoSTARTTLS {
				ss.reply("503 5.5.1 STARTTLS not available")
				continue
			}
			if !ss.reply("220 2.0.0 ready to start TLS") {
				return
			}
			tc := tls.Server(c, ss.srv.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, ss.tp, ss.tls = tc, textproto.NewConn(tc), true
			ss.from, ss.to, ss.user = "", nil, ""
		case "AUTH":
			ss.auth(arg)
		case "MAIL":
			ss.from, ss.to = addr(arg), nil
			ss.reply("250 2.1.0 OK")
		case "RCPT":
			if ss.from == "" {
				ss.reply("503 5.5.1 MAIL first")
				continue
			}
			ss.to = append(ss.to, addr(arg))
			ss.reply("250 2.1.5 OK")
		case "DATA":
			if !ss.data() {
				return
			}
		case "RSET", "NOOP":
			ss.from, ss.to = "", nil
			ss.reply("250 2.0.0 OK")
		case "QUIT":
			ss.reply("221 2.0.0 bye")
			return
		default:
			ss.reply("502 5.5.2 command not recognized")
		}
	}
}

func (ss *session) reply(line string) bool {
	return ss.tp.PrintfLine("%s", line) == nil
}

func (ss *session) ehlo() bool {
	lines := []string{"smtptest", "8BITMIME"}
	if !ss.tls && !ss.srv.opts.NoSTARTTLS {
		lines = append(lines, "STARTTLS")
	}
	if ss.srv.opts.Users != nil {
		lines = append(lines, "AUTH PLAIN")
	}
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		if !ss.reply("250" + sep + l) {
			return false
		}
	}
	return true
}

// auth handles AUTH PLAIN with an initial response, as net/smtp sends it.
func (ss *session) auth(arg string) {
	mech, resp, _ := strings.Cut(arg, " ")
	if ss.srv.opts.Users == nil || !strings.EqualFold(mech, "PLAIN") || resp == "" {
		ss.reply("504 5.5.4 only AUTH PLAIN with an initial response")
		return
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	parts := bytes.Split(raw, []byte{0})
	if err != nil || len(parts) != 3 {
		ss.reply("501 5.5.2 malformed AUTH PLAIN")
		return
	}
	user, pass := string(parts[1]), string(parts[2])
	if want, ok := ss.srv.opts.Users[user]; !ok || want != pass {
		ss.reply("535 5.7.8 authentication failed")
		return
	}
	ss.user = user
	ss.reply("235 2.7.0 authenticated")
}

func (ss *session) data() bool {
	if ss.from == "" || len(ss.to) == 0 {
		return ss.reply("503 5.5.1 MAIL and RCPT first")
	}
	if !ss.reply("354 end data with <CR><LF>.<CR><LF>") {
		return false
	}
	data, err := ss.tp.ReadDotBytes()
	if err != nil {
		return false
	}
	ss.srv.record(data)
	answer := ss.srv.dataReply()
	data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")) // ReadDotBytes leaves bare LFs
	ss.srv.addMessage(Message{
		From: ss.from, To: ss.to, Data: data, TLS: ss.tls, User: ss.user,
		Accepted: strings.HasPrefix(answer, "2"),
	})
	ss.from, ss.to = "", nil
	return ss.reply(answer)
}

// addr takes the address out of "FROM:<a@b> SIZE=1".
func addr(arg string) string {
	_, rest, _ := strings.Cut(arg, ":")
	rest = strings.TrimSpace(rest)
	if i := strings.IndexByte(rest, '>'); strings.HasPrefix(rest, "<") && i > 0 {
		return rest[1:i]
	}
	return rest
}
