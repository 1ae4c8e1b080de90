package engine

import (
	"fmt"
	"io"
)

// PrintReport writes the whole run for a reader: what was on, the latency
// table, the ratios, where the CPU went, what PostgreSQL did, the e-mails.
func PrintReport(w io.Writer, r *Report) {
	fmt.Fprintln(w)
	PrintSetup(w, r.Setup)
	printTable(w, r.lineup.Subject, r.lineup.Comparisons, r.Summaries, r.Ratios)
	PrintCPU(w, r.CPU)
	printHistories(w, r.Histories)
	printActivityTimes(w, r.Activities)
	fmt.Fprintf(w, "\n%-12s %14s %20s %14s\n", "PostgreSQL", "state changes", "write transactions", "reads")
	for _, c := range r.Database {
		note := "(per " + r.lineup.Subject + " card)"
		if c.ApprovalWritesPerCard > 0 {
			note += fmt.Sprintf(", with %d of the approval's own (each vote; opened and closed unless with the card's writes)", c.ApprovalWritesPerCard)
		}
		if c.IncludesMail {
			note += ", with the e-mails' rows"
		}
		if c.IncludesProduction {
			note += ", with the production's rows (number, secrets, certificates)"
		}
		fmt.Fprintf(w, "%-12s %14d %20.2f %14.2f   %s\n", c.Scenario, c.StateChangesPerCard, c.WriteTransactions, c.Reads, note)
	}
	fmt.Fprintf(w, "\nsettled after the last answers (s, in the wall time):")
	for _, s := range r.Config.Scenarios {
		for _, system := range r.lineup.names() {
			fmt.Fprintf(w, " %s %s %.2f;", system, s, r.SettleSeconds[system+" "+s])
		}
	}
	fmt.Fprintln(w)
	if r.Mail != nil {
		fmt.Fprintf(w, "e-mail: %d sent (%.2f per approval card), %d messages in Mailpit\n",
			r.Mail.SentRows, r.Mail.SentPerApprovalCard, r.Mail.MailpitMessages)
	}
}

// PrintCPU is the CPU milliseconds per card by process group.
func PrintCPU(w io.Writer, costs []CPUCost) { PrintCPUPer(w, "card", costs) }

// PrintCPUPer is the CPU milliseconds per unit (a card, a sweep) by
// process group: a one-shot scale scenario reports its CPU per action,
// not per card.
func PrintCPUPer(w io.Writer, unit string, costs []CPUCost) {
	fmt.Fprintf(w, "\n%-22s", "CPU ms per "+unit)
	for _, g := range cpuGroups {
		fmt.Fprintf(w, " %*s", max(len(g), 9), g)
	}
	fmt.Fprintf(w, " %9s\n", "total")
	for _, c := range costs {
		fmt.Fprintf(w, "%-22s", c.System+" "+c.Scenario)
		total := 0.0
		for _, g := range cpuGroups {
			fmt.Fprintf(w, " %*.2f", max(len(g), 9), c.MsPerCard[g])
			total += c.MsPerCard[g]
		}
		fmt.Fprintf(w, " %9.2f\n", total)
	}
}
