package views

// APIKeyListPage lists the API keys the signed-in key may see.
type APIKeyListPage struct {
	Layout      Layout
	CSRF        string
	Keys        []APIKeyRow
	HasLastUsed bool   // the API records last use (an extension of the local API)
	NewURL      string // empty: this key may not make keys here
	BackURL     string
}

// APIKeyRow is one key of the list, its times formatted.
type APIKeyRow struct {
	Name, Created, Expires, LastUsed string
	Owner                            string // "you", a user's id, or "Team key"
	Expired                          bool
	RevokeURL                        string
}

// APIKeyFormPage makes a key: a name and an optional expiry.
type APIKeyFormPage struct {
	Layout    Layout
	CSRF      string
	Action    string
	CancelURL string
	Name      string
	Expires   string // YYYY-MM-DD
	MinDate   string // tomorrow, YYYY-MM-DD
	TeamKey   bool   // offer "a team key, no user" (TENANT_ADMIN only)
	ForTeam   bool   // that choice was made
	Errors    APIKeyFormErrors
}

// APIKeyFormErrors are the form's problems, by field.
type APIKeyFormErrors struct {
	Form, Name, Expires string
}

// APIKeyCreatedPage shows a new key, once.
type APIKeyCreatedPage struct {
	Layout  Layout
	Name    string
	Key     string
	Expires string // empty: never
	ListURL string
}

// APIKeyRevokePage asks to confirm a revoke.
type APIKeyRevokePage struct {
	Layout    Layout
	CSRF      string
	Name      string
	Action    string
	CancelURL string
}
