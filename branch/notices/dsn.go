package notices

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"

	"stacks/branch/domain"
)

// ParseDSN reads a delivery status notification (RFC 3464: a
// multipart/report of report-type delivery-status, as a bounce mailbox
// receives it) and answers a Bounce for each recipient whose delivery
// failed or is delayed, naming the notice by the returned message's
// Message-ID. A message that is not such a report is an error.
func ParseDSN(r io.Reader) ([]Bounce, error) {
	msg, err := mail.ReadMessage(io.LimitReader(r, 10<<20))
	if err != nil {
		return nil, domain.Invalid("The bounce is not a mail message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["boundary"] == "" {
		return nil, domain.Invalid("The bounce is not a delivery status notification (multipart/report, RFC 3464).")
	}
	type rcpt struct{ action, status, diag string }
	var rcpts []rcpt
	msgID := ""
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, domain.Invalid("The delivery status notification cannot be read: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "message/delivery-status", "message/global-delivery-status":
			tp := textproto.NewReader(bufio.NewReader(p))
			for first := true; ; first = false {
				h, err := tp.ReadMIMEHeader()
				if len(h) > 0 && !first {
					rcpts = append(rcpts, rcpt{action: strings.ToLower(strings.TrimSpace(h.Get("Action"))),
						status: strings.TrimSpace(h.Get("Status")), diag: diagnostic(h.Get("Diagnostic-Code"))})
				}
				if err != nil {
					break
				}
			}
		case "text/rfc822-headers", "message/rfc822", "message/global-headers", "message/global":
			h, err := textproto.NewReader(bufio.NewReader(p)).ReadMIMEHeader()
			if err != nil && len(h) == 0 {
				continue
			}
			msgID = strings.TrimSpace(h.Get("Message-Id"))
		}
	}
	if msgID == "" {
		return nil, domain.Invalid("The delivery status notification does not carry the Message-ID of the message that bounced.")
	}
	var out []Bounce
	for _, rc := range rcpts {
		if rc.action != "failed" && rc.action != "delayed" {
			continue
		}
		if rc.status == "" || !smtpStatusRe.MatchString(rc.status) {
			continue
		}
		out = append(out, Bounce{MessageID: msgID, Status: rc.status, Diagnostic: rc.diag})
	}
	if len(out) == 0 {
		return nil, domain.Invalid("The delivery status notification reports no failed or delayed recipient.")
	}
	return out, nil
}

// diagnostic strips the type ("smtp; ") from a Diagnostic-Code.
func diagnostic(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ';'); i >= 0 && i < 20 {
		s = strings.TrimSpace(s[i+1:])
	}
	return s
}
