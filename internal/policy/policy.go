// Package policy loads the administrator's policy file: the "script" of the
// original Request card use case. It is validated once, at load time, so that a
// typo stops the worker at start rather than a request in the middle of the night.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
)

// Defaults that apply when the policy file leaves an option out. They follow the
// original product: the use case is off until enabled, one approver suffices,
// and a week is long enough for an approver to come back from leave.
const (
	DefaultApprovers          = 1
	DefaultApprovalTimeout    = 168 * time.Hour
	DefaultCommonNameTemplate = "{{.GivenName}} {{.Surname}}"
	DefaultUPNTemplate        = "{{.UPN}}"
	DefaultCardType           = "standard"
	// DefaultRequesterRole is the directory role that may request cards for others.
	DefaultRequesterRole = "operator"
	// DefaultApproverRole is the directory role whose holders may decide.
	DefaultApproverRole = "approver"
	// DefaultRemindBefore is how long before the approval timeout approvers
	// who have not acted are reminded.
	DefaultRemindBefore = 24 * time.Hour
	// MaxApprovers bounds approval.approvers: every approval is kept in the
	// card's status and history, and no badge office asks a hundred people.
	MaxApprovers = 100
)

// Policy is the validated content of a policy file.
type Policy struct {
	UseCases        UseCases            `yaml:"useCases"`
	DefaultCardType string              `yaml:"defaultCardType"`
	CardTypes       map[string]CardType `yaml:"cardTypes"`
	// RequesterRole is the directory role a requester must hold.
	RequesterRole string `yaml:"requesterRole"`
	// SelfService lets an active user request a card for themselves
	// without RequesterRole.
	SelfService bool `yaml:"selfService"`
	// BatchRequestApproval gives each card of a Request multiple cards
	// order its approval step; false (the default, as in the original)
	// makes them approved at once, the operator's ticking the users being
	// the decision.
	BatchRequestApproval bool `yaml:"batchRequestApproval"`
}

// UseCases switches use cases on; every one is off by default, as in the
// original. A policy must enable at least one of them.
type UseCases struct {
	RequestCard bool `yaml:"requestCard"`
	// IssueCard enables Issue card (and, with requestCard off, Issue card
	// for a user, which creates the card in registered).
	IssueCard bool `yaml:"issueCard"`
}

// CardType holds the options an administrator sets per kind of card.
type CardType struct {
	Approval Approval `yaml:"approval"`
	Mapping  Mapping  `yaml:"mapping"`
	// Validity is how long an issued card is valid (valid_until = issue
	// time + Validity); its certificates expire with it.
	Validity Duration `yaml:"validity"`
	// MultipleActive lets a user hold more than one active card of the
	// type; by default activating a second is refused.
	MultipleActive bool `yaml:"multipleActive"`
	// Production is how the type's cards are produced (Issue card).
	Production Production `yaml:"production"`
	// Deactivation, Reactivation and Lock hold the optional approval of
	// Deactivate, Reactivate and Lock card (LIFECYCLE.md), each shaped like
	// Request card's approval block; required defaults to false.
	Deactivation OperationOptions `yaml:"deactivation"`
	Reactivation OperationOptions `yaml:"reactivation"`
	Lock         OperationOptions `yaml:"lock"`
	// Expiry is when the holder is reminded that the card runs out.
	Expiry Expiry `yaml:"expiry"`

	// validitySet tells "validity: 0s" (an error) from a missing key.
	validitySet bool
}

// UnmarshalYAML decodes a card type, remembering whether validity was given.
func (ct *CardType) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Approval       Approval         `yaml:"approval"`
		Mapping        Mapping          `yaml:"mapping"`
		Validity       *Duration        `yaml:"validity"`
		MultipleActive bool             `yaml:"multipleActive"`
		Production     Production       `yaml:"production"`
		Deactivation   OperationOptions `yaml:"deactivation"`
		Reactivation   OperationOptions `yaml:"reactivation"`
		Lock           OperationOptions `yaml:"lock"`
		Expiry         Expiry           `yaml:"expiry"`
	}
	if err := node.Decode(&raw); err != nil {
		return err
	}
	*ct = CardType{Approval: raw.Approval, Mapping: raw.Mapping, MultipleActive: raw.MultipleActive, Production: raw.Production,
		Deactivation: raw.Deactivation, Reactivation: raw.Reactivation, Lock: raw.Lock, Expiry: raw.Expiry}
	if raw.Validity != nil {
		ct.Validity, ct.validitySet = *raw.Validity, true
	}
	return nil
}

// Approval is the "Add an approval step" option and its parameters.
type Approval struct {
	Required  bool
	Approvers int
	Timeout   Duration
	// ApproverRole is the directory role whose holders may approve or reject.
	ApproverRole string
	// RemindBefore is how long before the timeout undecided approvers are
	// reminded by e-mail; no reminder when the timeout is not longer.
	RemindBefore Duration

	// approversSet, timeoutSet and remindSet tell "approvers: 0" (an error)
	// from an absent key (the default), which a plain int cannot.
	approversSet, timeoutSet, remindSet bool
}

// UnmarshalYAML decodes an approval block, remembering which keys were present.
func (a *Approval) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		Required     bool      `yaml:"required"`
		Approvers    *int      `yaml:"approvers"`
		Timeout      *Duration `yaml:"timeout"`
		ApproverRole string    `yaml:"approverRole"`
		RemindBefore *Duration `yaml:"remindBefore"`
	}
	if err := node.Decode(&raw); err != nil {
		return err
	}
	*a = Approval{Required: raw.Required, ApproverRole: raw.ApproverRole}
	if raw.RemindBefore != nil {
		a.RemindBefore, a.remindSet = *raw.RemindBefore, true
	}
	if raw.Approvers != nil {
		a.Approvers, a.approversSet = *raw.Approvers, true
	}
	if raw.Timeout != nil {
		a.Timeout, a.timeoutSet = *raw.Timeout, true
	}
	return nil
}

// normalize applies an approval block's defaults and lists its problems,
// each naming the block's path in the file (cardTypes.T.approval,
// cardTypes.T.lock.approval, ...): one rule for every operation's approval.
func (a *Approval) normalize(path string) []string {
	var problems []string
	if a.approversSet && a.Approvers <= 0 {
		problems = append(problems, fmt.Sprintf("%s.approvers must be positive, got %d", path, a.Approvers))
	}
	if a.Approvers > MaxApprovers {
		problems = append(problems, fmt.Sprintf("%s.approvers must be at most %d, got %d", path, MaxApprovers, a.Approvers))
	}
	if a.Approvers == 0 {
		a.Approvers = DefaultApprovers
	}
	if a.Timeout < 0 || (a.timeoutSet && a.Timeout == 0) {
		problems = append(problems, fmt.Sprintf("%s.timeout must be positive, got %s", path, time.Duration(a.Timeout)))
	}
	if a.Timeout == 0 {
		a.Timeout = Duration(DefaultApprovalTimeout)
	}
	if a.ApproverRole == "" {
		a.ApproverRole = DefaultApproverRole
	}
	if err := limits.Identifier(path+".approverRole", a.ApproverRole); err != nil {
		problems = append(problems, err.Error())
	}
	if a.RemindBefore < 0 || (a.remindSet && a.RemindBefore == 0) {
		problems = append(problems, fmt.Sprintf("%s.remindBefore must be positive, got %s", path, time.Duration(a.RemindBefore)))
	}
	if !a.remindSet {
		a.RemindBefore = Duration(DefaultRemindBefore)
	}
	return problems
}

// Mapping is CardsMapUserToCard: Go text/template sources evaluated over the user.
type Mapping struct {
	CommonName string `yaml:"commonName"`
	UPN        string `yaml:"upn"`

	// blank lists the templates given as empty or blank ("upn: \"\""),
	// which would put a blank value on every card, as opposed to left out
	// (the default), which a plain string cannot tell apart.
	blank []string
}

// UnmarshalYAML decodes a mapping block, remembering blank templates.
func (m *Mapping) UnmarshalYAML(node *yaml.Node) error {
	var raw struct {
		CommonName *string `yaml:"commonName"`
		UPN        *string `yaml:"upn"`
	}
	if err := node.Decode(&raw); err != nil {
		return err
	}
	*m = Mapping{}
	for _, f := range []struct {
		name string
		src  *string
		dst  *string
	}{{"commonName", raw.CommonName, &m.CommonName}, {"upn", raw.UPN, &m.UPN}} {
		if f.src == nil {
			continue
		}
		if strings.TrimSpace(*f.src) == "" {
			m.blank = append(m.blank, f.name)
		}
		*f.dst = *f.src
	}
	return nil
}

// Duration reads Go duration strings ("168h", "90m") from YAML, which yaml.v3
// does not do for time.Duration on its own.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	var text string
	if err := node.Decode(&text); err != nil {
		return fmt.Errorf("line %d: duration must be a string such as 168h: %w", node.Line, err)
	}
	parsed, err := time.ParseDuration(text)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use Go syntax such as 168h or 30m)", node.Line, text)
	}
	*d = Duration(parsed)
	return nil
}

// Load reads and validates the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w (set CARDS_POLICY to the policy file, for example config/policy.yaml)", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return p, nil
}

// Parse decodes and validates policy YAML. Unknown keys are errors: a misspelt
// option that silently falls back to its default is worse than a refusal to start.
func Parse(data []byte) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if problems := unknownKeys(&doc); len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	if err := p.normalize(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Policy) normalize() error {
	if p.DefaultCardType == "" {
		p.DefaultCardType = DefaultCardType
	}
	if p.RequesterRole == "" {
		p.RequesterRole = DefaultRequesterRole
	}
	var problems []string
	if !p.UseCases.RequestCard && !p.UseCases.IssueCard {
		problems = append(problems, "the policy enables no use case: set useCases.requestCard: true or useCases.issueCard: true (both are false, the default)")
	}
	if err := limits.Identifier("requesterRole", p.RequesterRole); err != nil {
		problems = append(problems, err.Error())
	}
	if p.CardTypes == nil {
		p.CardTypes = map[string]CardType{}
	}
	if len(p.CardTypes) == 0 {
		p.CardTypes[p.DefaultCardType] = CardType{}
	}
	for _, name := range p.CardTypeNames() {
		ct := p.CardTypes[name]
		// A card type's name is an identifier: --card-type carries it and
		// it becomes the CardType search attribute.
		if strings.TrimSpace(name) == "" {
			problems = append(problems, "a card type has an empty name")
		} else if err := limits.Identifier(cardTypeField(name), name); err != nil {
			problems = append(problems, err.Error())
		}
		problems = append(problems, ct.Approval.normalize(fmt.Sprintf("cardTypes.%s.approval", name))...)
		problems = append(problems, ct.Deactivation.Approval.normalize(fmt.Sprintf("cardTypes.%s.deactivation.approval", name))...)
		problems = append(problems, ct.Reactivation.Approval.normalize(fmt.Sprintf("cardTypes.%s.reactivation.approval", name))...)
		problems = append(problems, ct.Lock.Approval.normalize(fmt.Sprintf("cardTypes.%s.lock.approval", name))...)
		for _, field := range ct.Mapping.blank {
			problems = append(problems, fmt.Sprintf("cardTypes.%s.mapping.%s must not be empty: it would give every card a blank %s (leave the key out for the default)", name, field, field))
		}
		if ct.Mapping.CommonName == "" {
			ct.Mapping.CommonName = DefaultCommonNameTemplate
		}
		if ct.Mapping.UPN == "" {
			ct.Mapping.UPN = DefaultUPNTemplate
		}
		for _, m := range []struct{ field, src string }{{"commonName", ct.Mapping.CommonName}, {"upn", ct.Mapping.UPN}} {
			if err := checkTemplate(m.src); err != nil {
				problems = append(problems, fmt.Sprintf("cardTypes.%s.mapping.%s: %v", name, m.field, err))
			}
		}
		if ct.Validity < 0 || (ct.validitySet && ct.Validity == 0) {
			problems = append(problems, fmt.Sprintf("cardTypes.%s.validity must be positive, got %s", name, time.Duration(ct.Validity)))
		}
		if !ct.validitySet {
			ct.Validity = Duration(DefaultValidity)
		}
		problems = append(problems, ct.Production.normalize(name)...)
		problems = append(problems, ct.Expiry.normalize(name, time.Duration(ct.Validity))...)
		p.CardTypes[name] = ct
	}
	if _, ok := p.CardTypes[p.DefaultCardType]; !ok {
		problems = append(problems, fmt.Sprintf("defaultCardType %q is not one of cardTypes (%s)", p.DefaultCardType, strings.Join(p.CardTypeNames(), ", ")))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// cardTypeField names a card type in a message: by its name when that is
// short enough to read, else by its place.
func cardTypeField(name string) string {
	if utf8.RuneCountInString(name) > limits.MaxIdentifier {
		return "cardTypes: a card type name"
	}
	return fmt.Sprintf("cardTypes: card type %q", name)
}

// CardTypeNames returns the configured card types in a stable order.
func (p *Policy) CardTypeNames() []string {
	names := make([]string, 0, len(p.CardTypes))
	for name := range p.CardTypes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// EnabledUseCases lists the use cases switched on. Parse refuses a policy
// with none, because a worker would poll for work it must refuse.
func (p *Policy) EnabledUseCases() []string {
	var enabled []string
	if p.UseCases.RequestCard {
		enabled = append(enabled, "requestCard")
	}
	if p.UseCases.IssueCard {
		enabled = append(enabled, "issueCard")
	}
	return enabled
}

// ParseTemplate parses a mapping template strictly: a reference to a field the
// user does not have is an error when executed, not an empty string on a card.
func ParseTemplate(src string) (*template.Template, error) {
	return template.New("mapping").Option("missingkey=error").Parse(src)
}

// checkTemplate parses src and runs it once over an empty user, so that a
// misspelt field ({{.Nmae}}) is refused when the policy loads, not when an
// operator requests a card.
func checkTemplate(src string) error {
	t, err := ParseTemplate(src)
	if err != nil {
		return err
	}
	if err := t.Execute(io.Discard, cards.User{}); err != nil {
		return fmt.Errorf("%v (fields: .ID, .GivenName, .Surname, .UPN, .Email, .State)", err)
	}
	return nil
}
