package engine

import (
	"fmt"
	"io"
)

// Setup says what cardflow ran with, since "everything on" is what the
// headline ratio is about: a figure read without it could be taken for one
// measured with the costs switched off.
type Setup struct {
	Temporal string `json:"temporal"`
	// ServerProcesses is how many processes the CPU accounting counts as
	// the Temporal server; 0 means its CPU is missing from the report.
	ServerProcesses int `json:"serverProcesses"`
	// DirectoryChecks is always true: every request and decision is
	// checked against the directory (the bench seeds its actors).
	DirectoryChecks bool   `json:"directoryChecks"`
	Encryption      bool   `json:"encryption"`
	KeyID           string `json:"keyId,omitempty"`
	TemporaryKey    bool   `json:"temporaryKey,omitempty"`
	Mail            bool   `json:"mail"`
	SMTP            string `json:"smtp,omitempty"`
	StartMode       string `json:"startMode"`
	StickyCache     int    `json:"stickyCache,omitempty"`
	// CA is the CFSSL the bench started for Issue card, if any.
	CA string `json:"ca,omitempty"`
	// systems are the header's lines of the systems, from their Describe.
	systems []systemLine
}

// systemLine is one system's line in the header.
type systemLine struct{ name, line string }

// OnOff is how the header says a setting is on or off.
func OnOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// PrintSetup writes the header of the output: the server, then each
// system's line.
func PrintSetup(w io.Writer, s Setup) {
	server := fmt.Sprintf("its CPU: %d process(es)", s.ServerProcesses)
	if s.ServerProcesses == 0 {
		server = "its CPU is NOT accounted: no server process found (pass -server-pid)"
	}
	fmt.Fprintf(w, "Temporal:  %s; %s\n", s.Temporal, server)
	if s.CA != "" {
		fmt.Fprintf(w, "CA:        %s\n", s.CA)
	}
	for _, sys := range s.systems {
		fmt.Fprintf(w, "%-10s %s\n", sys.name+":", sys.line)
	}
}
