// Package nodecert names the nodes of a Stacks cluster in X.509
// certificates (stacks://<role>/<name>) and issues them from the cluster's
// CA. It links no storage, so the operator CLI can enrol nodes without cgo.
package nodecert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Role is what a node of the cluster is; a node certificate names it.
type Role string

// The roles of sync peers.
const (
	RoleBranch  Role = "branch"
	RoleCentral Role = "central"
)

// Identity is who a sync peer is, as its certificate from the cluster CA
// says: a role and a name (the branch ID, or the central node's name).
//
// In the certificate it is a URI SAN stacks://<role>/<name>, repeated in
// the subject as CN=<name>, OU=<role> for people reading it with openssl.
type Identity struct {
	Role Role
	Name string
}

func (id Identity) String() string { return string(id.Role) + "/" + id.Name }

// URI is the identity as a certificate names it: stacks://branch/EAST.
func (id Identity) URI() *url.URL {
	return &url.URL{Scheme: "stacks", Host: string(id.Role), Path: "/" + id.Name}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate reports an identity no certificate should carry.
func (id Identity) Validate() error {
	if id.Role != RoleBranch && id.Role != RoleCentral {
		return fmt.Errorf("peersync: unknown role %q (want %s or %s)", id.Role, RoleBranch, RoleCentral)
	}
	if !nameRE.MatchString(id.Name) {
		return fmt.Errorf("peersync: bad node name %q (letters, digits, '.', '_', '-')", id.Name)
	}
	return nil
}

// ErrNoIdentity: a certificate (even one the CA signed) names no Stacks
// branch or central node.
var ErrNoIdentity = errors.New("nodecert: certificate names no Stacks branch or central node")

// IdentityOf reads the identity a node certificate names. The certificate's
// chain is not checked here: TLS did that.
func IdentityOf(cert *x509.Certificate) (Identity, error) {
	var found []Identity
	for _, u := range cert.URIs {
		if u.Scheme != "stacks" {
			continue
		}
		found = append(found, Identity{Role: Role(u.Host), Name: strings.TrimPrefix(u.Path, "/")})
	}
	if len(found) != 1 {
		return Identity{}, fmt.Errorf("%w (%d stacks:// names)", ErrNoIdentity, len(found))
	}
	id := found[0]
	if err := id.Validate(); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrNoIdentity, err)
	}
	if cn := cert.Subject.CommonName; cn != "" && cn != id.Name {
		return Identity{}, fmt.Errorf("%w: common name %q disagrees with %s", ErrNoIdentity, cn, id.URI())
	}
	if ou := cert.Subject.OrganizationalUnit; len(ou) > 0 && !slices.Contains(ou, string(id.Role)) {
		return Identity{}, fmt.Errorf("%w: unit %q disagrees with %s", ErrNoIdentity, ou, id.URI())
	}
	return id, nil
}

// PEM block types written by NewCA and Issue.
const (
	pemCert = "CERTIFICATE"
	pemKey  = "PRIVATE KEY"
)

// NewCA makes a cluster CA: an ECDSA P-256 key and a self-signed
// certificate, valid from now for validity. Both are PEM.
func NewCA(name string, now time.Time, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name, Organization: []string{"Stacks"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(validity), IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("peersync: CA certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: kder}), nil
}

// Issue signs a node certificate for id with the CA (PEM cert and key).
// hosts are the DNS names and IP addresses peers use to reach the node's
// sync listener; a client-only node may have none. The certificate serves
// both ends of a sync: the listener and the client.
func Issue(caCertPEM, caKeyPEM []byte, id Identity, hosts []string, now time.Time, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	if err := id.Validate(); err != nil {
		return nil, nil, err
	}
	caCert, caKey, err := parseCA(caCertPEM, caKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial,
		Subject:   pkix.Name{CommonName: id.Name, OrganizationalUnit: []string{string(id.Role)}, Organization: caCert.Subject.Organization},
		URIs:      []*url.URL{id.URI()},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(validity),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if tmpl.NotAfter.After(caCert.NotAfter) {
		tmpl.NotAfter = caCert.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("peersync: node certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: kder}), nil
}

func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, any, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != pemCert {
		return nil, nil, errors.New("peersync: the CA certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("peersync: CA certificate: %w", err)
	}
	if !cert.IsCA {
		return nil, nil, errors.New("peersync: the CA certificate is not a CA's")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("peersync: the CA key is not PEM")
	}
	var key any
	switch kb.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(kb.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(kb.Bytes)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("peersync: CA key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	caPub, ok2 := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !ok2 || !caPub.Equal(signer.Public()) {
		return nil, nil, errors.New("peersync: the CA key does not match the CA certificate")
	}
	return cert, key, nil
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}
