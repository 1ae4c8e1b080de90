// Package station is the print station: a Temporal worker on task queue
// print-station-<id> that produces one card at a time. It generates the
// card's keys "on the chip", has the CA certify them, and renders what a
// printer would print and encode into its output folder.
package station

import (
	"time"

	"github.com/cardflow/cardflow/internal/ca"
)

// TaskQueuePrefix and TaskQueue name a station's task queue: the worker's
// IssueCard sends a job to exactly the station the operator chose.
const TaskQueuePrefix = "print-station-"

// TaskQueue is the task queue of station id.
func TaskQueue(id string) string { return TaskQueuePrefix + id }

// DefaultID is the station id when CARDS_STATION_ID is not set.
const DefaultID = "station-1"

// ProduceCardActivity is the job's activity name, registered by the station
// and called by name from IssueCard (the worker does not register it).
const ProduceCardActivity = "ProduceCard"

// Job is one card to print and encode. It carries no secret: the PIN and
// PUK never travel to the station (the PIN letter is made centrally).
type Job struct {
	// JobID is CardID/Generation: a job found finished is returned again
	// instead of printed twice.
	JobID      string     `json:"jobId"`
	CardID     string     `json:"cardId"`
	Generation int        `json:"generation"`
	HolderName string     `json:"holderName"`
	UPN        string     `json:"upn"`
	CardType   string     `json:"cardType"`
	Number     string     `json:"cardNumber"`
	ValidUntil time.Time  `json:"validUntil"`
	ProducedAt time.Time  `json:"producedAt"`
	Usages     []ca.Usage `json:"usages"`
}

// Result is what the station produced: public material only.
type Result struct {
	Station      string           `json:"station"`
	UID          string           `json:"uid"`
	Dir          string           `json:"dir"`
	Files        []string         `json:"files"`
	Certificates []ca.Certificate `json:"certificates"`
}

// Failure types a job ends with (application error types), the printer's
// error codes users ask for.
const (
	ErrRibbonOut      = "RibbonOut"
	ErrCardJam        = "CardJam"
	ErrHopperEmpty    = "HopperEmpty"
	ErrEncodeFailed   = "EncodeFailed"
	ErrPrinterOffline = "PrinterOffline"
	ErrOutputFailed   = "OutputFailed"
	ErrCertificate    = "CertificateRefused"
)
