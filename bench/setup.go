package main

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
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// printSetup writes the header of the output.
func printSetup(w io.Writer, s Setup) {
	enc := "off (payloads in clear)"
	if s.Encryption {
		how := "key file"
		if s.TemporaryKey {
			how = "temporary key file"
		}
		enc = fmt.Sprintf("on (AES-256-GCM, key %s, %s)", s.KeyID, how)
	}
	mail := "off"
	if s.Mail {
		mail = "on (SMTP to Mailpit at " + s.SMTP + ")"
	}
	cache := "SDK default"
	if s.StickyCache > 0 {
		cache = fmt.Sprint(s.StickyCache)
	}
	server := fmt.Sprintf("its CPU: %d process(es)", s.ServerProcesses)
	if s.ServerProcesses == 0 {
		server = "its CPU is NOT accounted: no server process found (pass -server-pid)"
	}
	fmt.Fprintf(w, "Temporal:  %s; %s\n", s.Temporal, server)
	fmt.Fprintf(w, "cardflow:  directory checks %s; encryption %s; e-mail %s; %s; sticky cache %s\n",
		onOff(s.DirectoryChecks), enc, mail, s.StartMode, cache)
	fmt.Fprintf(w, "baseline:  RequestCard's shape, empty activities, cardflow's codec (encryption %s)\n", onOff(s.Encryption))
	fmt.Fprintf(w, "minimal:   the fixed yardstick: update-with-start, 1 local + 1 activity per state change, approve update; no codec\n")
}
