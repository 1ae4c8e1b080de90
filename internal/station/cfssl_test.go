package station_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/testkit"
)

// With the real CA (CFSSL, testkit.CA) the station's CSRs are accepted,
// the certificates on the chip chain to the CA and certify the chip's
// keys, and OCSP knows them.
func TestProduceCardWithCFSSL(t *testing.T) {
	authority := testkit.CA(t).Authority
	s := &station.Station{ID: "station-cfssl", Output: t.TempDir(), Issuer: authority}
	job := testJob(t, "card-cfssl-"+filepath.Base(s.Output))
	res, _, err := run(t, s, job)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, station.ChipName))
	if err != nil {
		t.Fatal(err)
	}
	var chip station.Chip
	if err := json.Unmarshal(data, &chip); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(authority.Issuer())
	for i, c := range chip.Certificates {
		cert := parseCert(t, c.PEM)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s certificate does not chain to the CA: %v", c.Usage, err)
		}
		if want := ca.SerialText(job.CardID, job.Usages[i], job.Generation); c.Serial != want || cert.SerialNumber.String() != want {
			t.Errorf("%s serial %s (certificate %s), want %s", c.Usage, c.Serial, cert.SerialNumber, want)
		}
		if cert.Subject.CommonName != job.HolderName {
			t.Errorf("%s certificate CN %q, want %q", c.Usage, cert.Subject.CommonName, job.HolderName)
		}
		if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok {
			t.Errorf("%s certificate key %T, want the chip's ECDSA key", c.Usage, cert.PublicKey)
		}
		if status, err := authority.Status(t.Context(), c.Serial); err != nil || status == "" {
			t.Errorf("%s OCSP status %q (%v)", c.Usage, status, err)
		}
	}
	noPrivateKey(t, s.Output)
}
