package station

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Chip is chip.json: what the station encoded on the card's chip, public
// material only (the private keys stay "on the chip", in the station's
// memory for the job's duration, and are never written).
type Chip struct {
	CardNumber   string            `json:"cardNumber"`
	UID          string            `json:"uid"`
	Certificates []ChipCertificate `json:"certificates"`
}

// ChipCertificate is one certificate on the chip.
type ChipCertificate struct {
	Usage  string `json:"usage"`
	Serial string `json:"serial"`
	PEM    string `json:"pem"`
}

// UIDBytes is the length of a chip UID: 7 bytes, as ISO 14443 double-size
// UIDs of contactless chips.
const UIDBytes = 7

// newUID returns a random chip UID in hex.
func newUID() (string, error) {
	b := make([]byte, UIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// newKey generates a key "on the chip": ECDSA P-256, which smart cards
// (PIV, OpenPGP cards) generate on board.
func newKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// The OIDs of the subject alternative name extension and of the Microsoft
// UPN other name that Windows smart-card logon reads.
var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidUPN            = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
)

// newCSR makes the PEM certificate request for key: subject CN = the
// holder's name, the UPN as an otherName in the subject alternative name
// (crypto/x509 has no field for it).
func newCSR(key *ecdsa.PrivateKey, commonName, upn string) ([]byte, error) {
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: commonName}}
	if upn != "" {
		san, err := upnSAN(upn)
		if err != nil {
			return nil, err
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidSubjectAltName, Value: san})
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// upnSAN is the DER of GeneralNames holding one otherName:
// [0] { OID 1.3.6.1.4.1.311.20.2.3, [0] EXPLICIT UTF8String upn }.
func upnSAN(upn string) ([]byte, error) {
	value, err := asn1.MarshalWithParams(upn, "utf8")
	if err != nil {
		return nil, err
	}
	oid, err := asn1.Marshal(oidUPN)
	if err != nil {
		return nil, err
	}
	explicit, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: value})
	if err != nil {
		return nil, err
	}
	otherName := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: append(oid, explicit...)}
	return asn1.Marshal([]asn1.RawValue{otherName})
}

// UPNFromCSR returns the UPN otherName of a PEM certificate request, or ""
// when it has none: what a CA adapter copies into the certificate.
func UPNFromCSR(csrPEM []byte) (string, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil {
		return "", errors.New("no PEM certificate request")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return "", err
	}
	for _, ext := range csr.Extensions {
		if !ext.Id.Equal(oidSubjectAltName) {
			continue
		}
		var names []asn1.RawValue
		if _, err := asn1.Unmarshal(ext.Value, &names); err != nil {
			return "", fmt.Errorf("subject alternative name: %w", err)
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 0 {
				continue
			}
			var other struct {
				ID    asn1.ObjectIdentifier
				Value asn1.RawValue `asn1:"explicit,tag:0"`
			}
			if _, err := asn1.UnmarshalWithParams(n.FullBytes, &other, "tag:0"); err != nil {
				return "", fmt.Errorf("subject alternative name: %w", err)
			}
			if !other.ID.Equal(oidUPN) {
				continue
			}
			var upn string
			if _, err := asn1.UnmarshalWithParams(other.Value.Bytes, &upn, "utf8"); err != nil {
				return "", fmt.Errorf("UPN: %w", err)
			}
			return upn, nil
		}
	}
	return "", nil
}

// matches checks that the certificate the CA returned is for key: a CA
// that hands back a certificate issued before (for a key lost with a
// crashed job) would otherwise put a certificate on the chip that no key
// on it can use.
func matches(certPEM string, key *ecdsa.PrivateKey) error {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("the CA's answer holds no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("the CA's certificate does not parse: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(key.Public()) {
		return errors.New("the CA's certificate is for another key than the one generated on the chip (one issued before for this card, usage and generation?)")
	}
	return nil
}
