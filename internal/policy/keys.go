package policy

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// shape is the set of keys a mapping of the policy file may hold. The file
// is checked against it before it is decoded, so that a misspelt key is
// reported with its line and the keys that would be right, in the words of
// the file rather than the names of Go types.
type shape struct {
	// keys are the valid keys, in the order the documentation gives them.
	keys []string
	// nested gives the shape of a key's value when it is a mapping too.
	nested map[string]*shape
	// each, when set, allows any key (a card type's name) whose value has
	// this shape.
	each *shape
}

var policyShape = &shape{
	keys: []string{"useCases", "defaultCardType", "requesterRole", "selfService", "batchRequestApproval", "cardTypes"},
	nested: map[string]*shape{
		"useCases": {keys: []string{"requestCard", "issueCard"}},
		"cardTypes": {each: &shape{
			keys: []string{"approval", "mapping", "validity", "multipleActive", "production", "deactivation", "reactivation", "lock", "expiry"},
			nested: map[string]*shape{
				"approval":     approvalShape,
				"deactivation": operationShape,
				"reactivation": operationShape,
				"lock":         operationShape,
				"mapping":      {keys: []string{"commonName", "upn"}},
				"production":   {keys: []string{"numberPrefix", "pinLength", "pinDelivery", "certificates", "stationTimeout", "station"}},
				"expiry":       {keys: []string{"remindBefore", "remindDaily"}},
			},
		}},
	},
}

// approvalShape is an approval block's keys: Request card's approval and
// each operation's.
var approvalShape = &shape{keys: []string{"required", "approvers", "timeout", "approverRole", "remindBefore"}}

// operationShape is the block of an operation on a card (deactivation,
// reactivation, lock): its approval.
var operationShape = &shape{keys: []string{"approval"}, nested: map[string]*shape{"approval": approvalShape}}

// unknownKeys lists every key of the document that its place does not
// allow, as "line 3: unknown key "useCase"; valid keys: ..." in line order.
func unknownKeys(doc *yaml.Node) []string {
	var problems []string
	var walk func(n *yaml.Node, s *shape, path string)
	walk = func(n *yaml.Node, s *shape, path string) {
		for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
			if n.Kind == yaml.AliasNode {
				n = n.Alias
			} else if len(n.Content) > 0 {
				n = n.Content[0]
			} else {
				return
			}
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return // the decoder reports a value of the wrong kind
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			switch {
			case key.Value == "<<": // a YAML merge: its keys land here
				walk(value, s, path)
			case s.each != nil:
				walk(value, s.each, join(path, key.Value))
			case slices.Contains(s.keys, key.Value):
				if inner, ok := s.nested[key.Value]; ok {
					walk(value, inner, join(path, key.Value))
				}
			default:
				where := ""
				if path != "" {
					where = " in " + path
				}
				problems = append(problems, fmt.Sprintf("line %d: unknown key %q%s; valid keys: %s", key.Line, key.Value, where, strings.Join(s.keys, ", ")))
			}
		}
	}
	walk(doc, policyShape, "")
	return problems
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
