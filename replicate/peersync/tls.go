package peersync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"stacks/replicate/nodecert"
	"sync"
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
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13,
		VerifyConnection: verifyServerIdentity},
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

// verifyServerIdentity refuses a sync server whose certificate (verified
// against the CA by then) names no Stacks node.
func verifyServerIdentity(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nodecert.ErrNoIdentity
	}
	_, err := nodecert.IdentityOf(cs.PeerCertificates[0])
	return err
}

type identityKey struct{}

// PeerIdentity is the caller of a request admitted by AuthorizeTLS.
func PeerIdentity(ctx context.Context) (nodecert.Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(nodecert.Identity)
	return id, ok
}

// AuthorizeTLS admits to next only callers whose certificate, verified
// against the cluster CA by the TLS listener, names a Stacks branch or
// central node (see IdentityOf); next finds it with PeerIdentity. Others
// get 403 with a problem+json body, and a log line names them.
func AuthorizeTLS(next http.Handler, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	lg := logger.With("subsystem", "sync")
	var seen sync.Map // identities already logged at info
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
			lg.Warn("sync caller refused: no verified certificate", "remote", r.RemoteAddr, "path", r.URL.Path)
			forbidden(w, "a sync caller must present a certificate from the cluster CA")
			return
		}
		leaf := r.TLS.VerifiedChains[0][0]
		id, err := nodecert.IdentityOf(leaf)
		if err != nil {
			lg.Warn("sync caller refused: certificate names no Stacks node", "remote", r.RemoteAddr,
				"subject", leaf.Subject.String(), "serial", leaf.SerialNumber.Text(16), "err", err, "path", r.URL.Path)
			forbidden(w, fmt.Sprintf("certificate %q names no Stacks branch or central node (want a URI stacks://branch/<id> or "+
				"stacks://central/<name>, issued by 'stacks cluster enroll')", leaf.Subject.String()))
			return
		}
		if _, again := seen.LoadOrStore(id, true); again {
			lg.Debug("sync caller", "peer", id.String(), "remote", r.RemoteAddr, "path", r.URL.Path)
		} else {
			lg.Info("sync caller admitted", "peer", id.String(), "remote", r.RemoteAddr, "serial", leaf.SerialNumber.Text(16))
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
	})
}

func forbidden(w http.ResponseWriter, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": "Forbidden", "status": http.StatusForbidden,
		"code": "peer_not_authorized", "detail": detail})
}
