package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"stacks/branch/domain"
	"stacks/branch/notices"
)

// messageID is the Message-ID of a notice: derived from its key, so a
// notice sent again (after an outcome was lost) carries the same one and
// the receiving systems can tell.
func messageID(key, from string) string {
	sum := sha256.Sum256([]byte(key))
	host := "stacks.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		host = from[i+1:]
	}
	return "<notice." + hex.EncodeToString(sum[:16]) + "@" + host + ">"
}

// prefNotices are the patron's notice preferences (domain.Notices) that
// stop messages of kind; none when the kind cannot be turned off (a
// welcome, a cancelled hold). A digest stops the notices it carries.
func prefNotices(m notices.Message) []string {
	var out []string
	add := func(kind string) {
		p := kind
		switch kind {
		case notices.KindPreDue, notices.KindDueToday:
			p = domain.NoticePreDue
		case notices.KindOverdue1, notices.KindOverdue2, notices.KindOverdue3:
			p = domain.NoticeOverdue
		}
		if slices.Contains(domain.Notices, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if m.Kind == notices.KindDigest {
		for _, p := range m.Parts {
			add(p.Kind)
		}
	} else {
		add(m.Kind)
	}
	return out
}

// emailLinks are the signed links of an email: the pixel, and the
// one-click preferences page (which turns the notice off) when the kind can
// be turned off.
func (n *Notifier) emailLinks(m notices.Message) (links, func(string) string) {
	exp := n.cfg.Clock.Now().Add(n.cfg.LinkTTL).Unix()
	l := links{Pixel: n.publicURL + "/n/o/" + n.tokens.sign(claims{Purpose: purposeOpen, Key: m.Key, Exp: exp})}
	if ns := prefNotices(m); len(ns) > 0 && n.cfg.Prefs != nil && m.Patron.ID != "" {
		l.Unsubscribe = n.publicURL + "/n/u/" + n.tokens.sign(claims{Purpose: purposeUnsub, Key: m.Key, Patron: m.Patron.ID,
			Notices: ns, Lang: m.Language, Exp: exp})
		l.Prefs = l.Unsubscribe
	}
	track := func(u string) string {
		return n.publicURL + "/n/c/" + n.tokens.sign(claims{Purpose: purposeClick, Key: m.Key, URL: u, Lang: m.Language, Exp: exp})
	}
	if l.Prefs == "" {
		l.Prefs = track(n.publicURL + "/account/preferences")
	}
	return l, track
}

// buildEmail writes m as a MIME message: multipart/alternative of plain
// text and HTML in UTF-8, headers encoded (RFC 2047), the Message-ID from
// the key, List-Unsubscribe with one-click (RFC 8058).
func (n *Notifier) buildEmail(m notices.Message, to string) ([]byte, error) {
	l, track := n.emailLinks(m)
	r, err := n.render(m, l, track)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	h := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(foldHeader(len(name)+2, value))
		b.WriteString("\r\n")
	}
	from := mail.Address{Name: n.brand.Name, Address: n.cfg.MailFrom}
	h("From", from.String())
	h("To", (&mail.Address{Address: to}).String())
	h("Subject", mime.QEncoding.Encode("utf-8", r.Subject))
	h("Date", n.cfg.Clock.Now().Format(time.RFC1123Z))
	h("Message-ID", messageID(m.Key, n.cfg.MailFrom))
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	if l.Unsubscribe != "" {
		mailto := "mailto:" + n.cfg.UnsubscribeMailto + "?subject=" + url.PathEscape("unsubscribe "+m.Kind)
		h("List-Unsubscribe", "<"+l.Unsubscribe+">, <"+mailto+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	mw := multipart.NewWriter(&b)
	sum := sha256.Sum256([]byte("boundary\x00" + m.Key))
	if err := mw.SetBoundary("=_stacks_" + hex.EncodeToString(sum[:12])); err != nil {
		return nil, err
	}
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", r.Text}, {"text/html", r.HTML}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// foldHeader folds a header value at spaces so lines stay under 78
// characters where the words allow (RFC 5322 2.2.3); used is what the
// line holds before the value.
func foldHeader(used int, v string) string {
	if used+len(v) <= 76 {
		return v
	}
	var b strings.Builder
	line := used
	for i, w := range strings.Split(v, " ") {
		if i > 0 {
			if line+1+len(w) > 76 {
				b.WriteString("\r\n ")
				line = 1
			} else {
				b.WriteByte(' ')
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// checkAddress is an email address fit for the envelope: one bare ASCII
// address (the relay may not speak SMTPUTF8).
func checkAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: notify: %q is not an email address", notices.ErrPermanent, s)
	case a.Name != "" || a.Address != strings.TrimSpace(s):
		return "", fmt.Errorf("%w: notify: %q is not a bare email address", notices.ErrPermanent, s)
	case !isASCII(a.Address):
		return "", fmt.Errorf("%w: notify: %q has characters the relay may not take", notices.ErrPermanent, s)
	}
	return a.Address, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}
