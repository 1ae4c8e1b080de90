package policy

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/limits"
)

// Defaults of the options after the request (LIFECYCLE.md): a card is valid
// for three years, a user has one active card per type, and production
// follows the original's PIN rules (6 digits, by letter) with an
// authentication and a signing certificate on the card.
const (
	DefaultValidity       = 26280 * time.Hour
	DefaultNumberPrefix   = cardnumber.DefaultPrefix
	DefaultPINLength      = 6
	DefaultPINDelivery    = PINByLetter
	DefaultStationTimeout = 10 * time.Minute
	DefaultStation        = "station-1"
)

// PIN delivery methods (production.pinDelivery): a letter made centrally,
// apart from the card; an e-mail to the holder; or none at all.
const (
	PINByLetter = "letter"
	PINByEmail  = "email"
	PINNone     = "none"
)

// PINDeliveries lists the valid production.pinDelivery values.
var PINDeliveries = []string{PINByLetter, PINByEmail, PINNone}

// DefaultCertificates are the certificates a card type that names none
// carries.
var DefaultCertificates = []ca.Usage{ca.Authentication, ca.Signing}

// Production is a card type's production block: how its cards are numbered,
// which PIN they get and how it travels, which certificates go on the chip,
// and where and how long the print station may take.
type Production struct {
	NumberPrefix   string
	PINLength      int
	PINDelivery    string
	Certificates   []ca.Usage
	StationTimeout Duration
	Station        string

	// problems are the values refused while decoding, reported by normalize
	// with the card type's name.
	problems []string
	// certificatesSet and timeoutSet tell an empty list or a zero timeout
	// (errors) from a missing key (the default).
	certificatesSet, timeoutSet, prefixSet bool
}

// UnmarshalYAML decodes a production block, remembering which keys were
// present.
func (pr *Production) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		NumberPrefix   *string   `yaml:"numberPrefix"`
		PINLength      *int      `yaml:"pinLength"`
		PINDelivery    string    `yaml:"pinDelivery"`
		Certificates   *[]string `yaml:"certificates"`
		StationTimeout *Duration `yaml:"stationTimeout"`
		Station        string    `yaml:"station"`
	}
	if err := node.Decode(&raw); err != nil {
		return err
	}
	*pr = Production{PINDelivery: raw.PINDelivery, Station: raw.Station}
	if raw.NumberPrefix != nil {
		pr.NumberPrefix, pr.prefixSet = *raw.NumberPrefix, true
	}
	if raw.PINLength != nil {
		pr.PINLength = *raw.PINLength
		if pr.PINLength != 4 && pr.PINLength != 6 {
			pr.problems = append(pr.problems, fmt.Sprintf("pinLength must be 6 (the default) or 4, got %d", pr.PINLength))
		}
	}
	if raw.Certificates != nil {
		pr.certificatesSet = true
		for _, name := range *raw.Certificates {
			u, err := ca.ParseUsage(name)
			if err != nil {
				pr.problems = append(pr.problems, "certificates: "+err.Error())
				continue
			}
			if slices.Contains(pr.Certificates, u) {
				pr.problems = append(pr.problems, fmt.Sprintf("certificates lists %s twice", u))
				continue
			}
			pr.Certificates = append(pr.Certificates, u)
		}
	}
	if raw.StationTimeout != nil {
		pr.StationTimeout, pr.timeoutSet = *raw.StationTimeout, true
	}
	return nil
}

// normalize applies the defaults and returns what is wrong, each problem
// named by its place in the file (cardTypes.<name>.production.<key>).
func (pr *Production) normalize(cardType string) []string {
	field := func(key string) string { return fmt.Sprintf("cardTypes.%s.production.%s", cardType, key) }
	var problems []string
	for _, p := range pr.problems {
		problems = append(problems, fmt.Sprintf("cardTypes.%s.production.%s", cardType, p))
	}
	if !pr.prefixSet {
		pr.NumberPrefix = DefaultNumberPrefix
	}
	if err := cardnumber.ValidPrefix(pr.NumberPrefix); err != nil {
		problems = append(problems, field("numberPrefix")+": "+err.Error())
	}
	if pr.PINLength == 0 {
		pr.PINLength = DefaultPINLength
	}
	if pr.PINDelivery == "" {
		pr.PINDelivery = DefaultPINDelivery
	}
	if !slices.Contains(PINDeliveries, pr.PINDelivery) {
		problems = append(problems, fmt.Sprintf("%s must be letter, email or none, got %q", field("pinDelivery"), pr.PINDelivery))
	}
	switch {
	case !pr.certificatesSet:
		pr.Certificates = slices.Clone(DefaultCertificates)
	case len(pr.Certificates) == 0 && len(pr.problems) == 0:
		problems = append(problems, field("certificates")+" must list at least one of authentication, signing, encryption (leave the key out for the default [authentication, signing])")
	}
	if pr.StationTimeout < 0 || (pr.timeoutSet && pr.StationTimeout == 0) {
		problems = append(problems, fmt.Sprintf("%s must be positive, got %s", field("stationTimeout"), time.Duration(pr.StationTimeout)))
	}
	if !pr.timeoutSet {
		pr.StationTimeout = Duration(DefaultStationTimeout)
	}
	if pr.Station == "" {
		pr.Station = DefaultStation
	}
	if err := limits.Identifier(field("station"), pr.Station); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// ResolvedProduction is what Issue card and Activate card need of a card
// type: its validity, the multipleActive rule and the production block, with
// every default applied. BeginIssue returns the parts the workflow needs, so
// that the history records the options the production ran under.
type ResolvedProduction struct {
	CardType       string        `json:"cardType"`
	Validity       time.Duration `json:"validity"`
	MultipleActive bool          `json:"multipleActive,omitempty"`
	NumberPrefix   string        `json:"numberPrefix"`
	PINLength      int           `json:"pinLength"`
	PINDelivery    string        `json:"pinDelivery"`
	Certificates   []ca.Usage    `json:"certificates"`
	StationTimeout time.Duration `json:"stationTimeout"`
	Station        string        `json:"station"`
	// RequesterRole is the directory role an operator must hold to issue,
	// repeat, cancel or activate.
	RequesterRole string `json:"requesterRole"`
}

// ResolveProduction returns the production options in force for cardType;
// an empty cardType means the policy's default card type.
func (p *Policy) ResolveProduction(cardType string) (ResolvedProduction, error) {
	if cardType == "" {
		cardType = p.DefaultCardType
	}
	ct, ok := p.CardTypes[cardType]
	if !ok {
		return ResolvedProduction{}, &ErrUnknownCardType{CardType: cardType, Known: p.CardTypeNames()}
	}
	pr := ct.Production
	return ResolvedProduction{
		CardType:       cardType,
		Validity:       time.Duration(ct.Validity),
		MultipleActive: ct.MultipleActive,
		NumberPrefix:   pr.NumberPrefix,
		PINLength:      pr.PINLength,
		PINDelivery:    pr.PINDelivery,
		Certificates:   slices.Clone(pr.Certificates),
		StationTimeout: time.Duration(pr.StationTimeout),
		Station:        pr.Station,
		RequesterRole:  p.RequesterRole,
	}, nil
}
