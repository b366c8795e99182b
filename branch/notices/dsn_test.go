package notices_test

import (
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/branch/notices"
)

// DSN is an RFC 3464 report of a failed recipient, as a relay sends one.
func DSN(msgID, action, status string) string {
	return strings.ReplaceAll(`From: MAILER-DAEMON@relay.example.org
To: library@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

Your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.org
Arrival-Date: Fri, 4 Dec 2026 05:00:00 +0000

Final-Recipient: rfc822; gone@example.org
Action: `+action+`
Status: `+status+`
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: user unknown

--B1
Content-Type: text/rfc822-headers

From: Library <library@example.org>
To: gone@example.org
Message-ID: `+msgID+`
Subject: Welcome

--B1--
`, "\n", "\r\n")
}

func TestParseDSN(t *testing.T) {
	bs, err := notices.ParseDSN(strings.NewReader(DSN("<notice.00112233445566778899aabbccddeeff@example.org>", "failed", "5.1.1")))
	must(t, err)
	if len(bs) != 1 || bs[0].MessageID != "<notice.00112233445566778899aabbccddeeff@example.org>" || bs[0].Status != "5.1.1" ||
		bs[0].Diagnostic != "550 5.1.1 <gone@example.org>: user unknown" {
		t.Fatalf("bounces %+v", bs)
	}
	if bs, err := notices.ParseDSN(strings.NewReader(DSN("<x@y>", "delayed", "4.4.7"))); err != nil || bs[0].Status != "4.4.7" {
		t.Fatalf("delayed: %+v %v", bs, err)
	}
	for _, bad := range []string{"not a message", "Subject: hi\r\n\r\nhello", DSN("<x@y>", "delivered", "2.0.0"), DSN("", "failed", "5.1.1")} {
		if _, err := notices.ParseDSN(strings.NewReader(bad)); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%.40q: %v", bad, err)
		}
	}
}
