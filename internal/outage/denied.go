package outage

import (
	"regexp"
	"strings"
)

// insufficientPrivilege is PostgreSQL's SQLSTATE for a statement the role
// may not run.
const insufficientPrivilege = "42501"

// deniedPattern reads PostgreSQL's "permission denied for table cards" (and
// for a sequence, a view, a schema...): the object is in the message, the
// privilege is not.
var deniedPattern = regexp.MustCompile(`permission denied for (table|sequence|view|materialized view|relation|schema|function|database) "?([^\s"]+)"?`)

// Object is what PostgreSQL named in a permission denied error.
type Object struct {
	// Kind is PostgreSQL's word: table, sequence, schema...
	Kind string
	// Name is the object's name as PostgreSQL wrote it.
	Name string
}

// deniedObject finds the object of a permission denied error in its text,
// which is all that is left of an error that crossed Temporal.
func deniedObject(msg string) (Object, bool) {
	m := deniedPattern.FindStringSubmatch(msg)
	if m == nil {
		return Object{}, false
	}
	kind := m[1]
	if kind == "relation" || strings.HasSuffix(kind, "view") {
		kind = "table" // privileges on views and relations are table privileges
	}
	return Object{Kind: kind, Name: m[2]}, true
}

// Denial is one privilege the role lacks, in GRANT's words.
type Denial struct {
	// Privilege is what to grant: "INSERT", "UPDATE (status, error)",
	// "USAGE"; empty when PostgreSQL refused something the worker's list
	// of privileges does not name.
	Privilege string
	// Object is what to grant it on.
	Object Object
}

// String reads like the GRANT that fixes it: "INSERT on notifications",
// "USAGE on sequence card_events_id_seq".
func (d Denial) String() string {
	on := d.Object.Name
	if d.Object.Kind != "table" {
		on = d.Object.Kind + " " + on
	}
	if d.Privilege == "" {
		return "a privilege on " + on
	}
	return d.Privilege + " on " + on
}
