package peersync

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// TLSFiles names the PEM files of a node's sync identity: its certificate
// and key, and the CA that signs every node of the library's cluster.
type TLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// Enabled reports whether mutual TLS is configured.
func (f TLSFiles) Enabled() bool { return f.CertFile != "" || f.KeyFile != "" || f.CAFile != "" }

func (f TLSFiles) load() (tls.Certificate, *x509.CertPool, error) {
	if f.CertFile == "" || f.KeyFile == "" || f.CAFile == "" {
		return tls.Certificate{}, nil, errors.New("peersync: mutual TLS needs a certificate, a key and a CA")
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("peersync: load certificate: %w", err)
	}
	pem, err := os.ReadFile(f.CAFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("peersync: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return tls.Certificate{}, nil, fmt.Errorf("peersync: no certificate in %s", f.CAFile)
	}
	return cert, pool, nil
}

// ServerConfig is the TLS config of a sync listener: it presents the node's
// certificate and admits only clients with a certificate from the CA.
func (f TLSFiles) ServerConfig() (*tls.Config, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS13}, nil
}

// Transport is an HTTPS client that presents the node's certificate and
// trusts only peers with a certificate from the CA.
func (f TLSFiles) Transport() (*http.Client, error) {
	cert, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13},
		MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	return &http.Client{Transport: tr, Timeout: 120 * time.Second}, nil
}

// PeerName is the common name of a verified client certificate, or "".
func PeerName(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return r.TLS.VerifiedChains[0][0].Subject.CommonName
}
