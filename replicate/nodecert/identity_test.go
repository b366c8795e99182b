package nodecert_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"stacks/replicate/nodecert"
)

func parsePEM(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIssue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	caPEM, caKey, err := nodecert.NewCA("Test CA", now, 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ca := parsePEM(t, caPEM)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	east := nodecert.Identity{Role: nodecert.RoleBranch, Name: "EAST"}
	t.Run("OK", func(t *testing.T) {
		certPEM, _, err := nodecert.Issue(caPEM, caKey, east, []string{"10.0.0.2", "east.example"}, now, 2*365*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c := parsePEM(t, certPEM)
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: "10.0.0.2", CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Error(err)
		}
		if id, err := nodecert.IdentityOf(c); err != nil || id != east {
			t.Errorf("IdentityOf = %v, %v", id, err)
		}
		if c.URIs[0].String() != "stacks://branch/EAST" {
			t.Errorf("URI %s", c.URIs[0])
		}
		if !c.NotAfter.Equal(ca.NotAfter) {
			t.Errorf("outlives its CA: %s > %s", c.NotAfter, ca.NotAfter)
		}
	})
	t.Run("ErrBadIdentity", func(t *testing.T) {
		for _, id := range []nodecert.Identity{{Role: "kiosk", Name: "K1"}, {Role: nodecert.RoleBranch, Name: ""},
			{Role: nodecert.RoleBranch, Name: "a/b"}, {Role: nodecert.RoleCentral, Name: "-x"}} {
			if _, _, err := nodecert.Issue(caPEM, caKey, id, nil, now, time.Hour); err == nil {
				t.Errorf("issued for %+v", id)
			}
		}
	})
	t.Run("ErrWrongCAKey", func(t *testing.T) {
		_, otherKey, _ := nodecert.NewCA("Other", now, time.Hour)
		if _, _, err := nodecert.Issue(caPEM, otherKey, east, nil, now, time.Hour); err == nil {
			t.Error("issued with a key that is not the CA's")
		}
	})
	t.Run("ErrNotCA", func(t *testing.T) {
		leaf, key, _ := nodecert.Issue(caPEM, caKey, east, nil, now, time.Hour)
		if _, _, err := nodecert.Issue(leaf, key, east, nil, now, time.Hour); err == nil {
			t.Error("a node certificate signed another")
		}
	})
}

func TestIdentityOf(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	cert := func(cn string, ou []string, uris ...*url.URL) *x509.Certificate {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: ou}, URIs: uris,
			NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	for _, tc := range []struct {
		name string
		c    *x509.Certificate
		want nodecert.Identity
	}{
		{"OKBranch", cert("EAST", []string{"branch"}, u("stacks://branch/EAST")), nodecert.Identity{Role: nodecert.RoleBranch, Name: "EAST"}},
		{"OKCentralURIOnly", cert("", nil, u("stacks://central/central-1")), nodecert.Identity{Role: nodecert.RoleCentral, Name: "central-1"}},
		{"OKOtherURIs", cert("EAST", nil, u("https://east.example"), u("stacks://branch/EAST")), nodecert.Identity{Role: nodecert.RoleBranch, Name: "EAST"}},
		{"ErrNoURI", cert("EAST", []string{"branch"}), nodecert.Identity{}},
		{"ErrTwoURIs", cert("", nil, u("stacks://branch/EAST"), u("stacks://central/c1")), nodecert.Identity{}},
		{"ErrRole", cert("K1", nil, u("stacks://kiosk/K1")), nodecert.Identity{}},
		{"ErrNoName", cert("", nil, u("stacks://branch/")), nodecert.Identity{}},
		{"ErrCNDisagrees", cert("MAIN", nil, u("stacks://branch/EAST")), nodecert.Identity{}},
		{"ErrOUDisagrees", cert("EAST", []string{"central"}, u("stacks://branch/EAST")), nodecert.Identity{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := nodecert.IdentityOf(tc.c)
			if tc.want == (nodecert.Identity{}) {
				if !errors.Is(err, nodecert.ErrNoIdentity) {
					t.Errorf("got %v, %v; want ErrNoIdentity", id, err)
				}
				return
			}
			if err != nil || id != tc.want {
				t.Errorf("got %v, %v; want %v", id, err, tc.want)
			}
		})
	}
}
