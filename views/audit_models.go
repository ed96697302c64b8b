package views

// AuditListPage is the History page: one page of the team's audit trail.
type AuditListPage struct {
	Layout       Layout
	Secret       string // the filter: one secret's history; empty: all
	Since        string // the period filter as asked (24h, 7d, RFC 3339); empty: any time
	SinceOptions []SinceOption
	ClearURL     string // the page without the filter
	BackURL      string
	Matches      int
	Rows         []AuditRow
	Page         int
	Pages        int
	PrevURL      string // empty on the first page
	NextURL      string // empty on the last page
	ShowAddrs    bool   // the API sent client addresses (a TENANT_ADMIN)
}

// AuditRow is one event, or a rename's two (set the new name, delete the
// old, in one request), ready to show.
type AuditRow struct {
	Time, TimeExact string
	What            string // "Added", "Replaced", "Deleted", "Renamed", "Key created", ...
	Secret          string // the secret's name (the new one for a rename)
	SecretURL       string // its history
	OldName         string // a rename's old name
	Target          string // a key or member event's subject
	Refused         bool   // the outcome was not ok
	Outcome         string
	Actor           string
	Key             string
	Request         string
	Addr            string
}

// SinceOption is one choice of the History page's period.
type SinceOption struct{ Value, Label string }
