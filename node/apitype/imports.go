package apitype

// MARC import: POST /api/v1/biblios/import takes an ImportRequest (a batch
// of records parsed by the client) and answers an ImportResponse, one
// result per record, in order. Each batch is one transaction.

// Outcomes of one imported record.
const (
	ImportAdded    = "added"
	ImportOverlaid = "overlaid"
	ImportSkipped  = "skipped"
	ImportError    = "error"
)

// Import batch limits: at most ImportMaxRecords records, and a client
// keeps the records' bytes under ImportMaxBytes so that the request
// (base64 in JSON) fits the API's 1 MiB body limit.
const (
	ImportMaxRecords = 1000
	ImportMaxBytes   = 600 << 10
)

// ImportRequest is one batch of records to import.
type ImportRequest struct {
	Options ImportOptions  `json:"options"`
	Records []ImportRecord `json:"records"`
}

// ImportOptions steer an import run; see stacks import marc.
type ImportOptions struct {
	// Match lists the match rules in order: "isbn", "035", "001"
	// (empty: all three).
	Match []string `json:"match,omitempty"`
	// Action for a record that matches a title: "skip" (default),
	// "overlay" or "add". Records matching nothing are added.
	Action string `json:"action,omitempty"`
	// DryRun reports what would happen and writes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Items copies are added to each new title without holdings fields,
	// at Library, of ItemType (empty: the first item type).
	Items    int    `json:"items,omitempty"`
	Library  string `json:"library_id,omitempty"`
	ItemType string `json:"item_type_id,omitempty"`
}

// ImportRecord is one record of the file: its number from 1 and byte
// offset in the file, and the record as ISO 2709 in UTF-8 (base64 in
// JSON), as the client's MARC reader decoded and repaired it.
type ImportRecord struct {
	Ordinal int    `json:"ordinal"`
	Offset  int64  `json:"offset"`
	MARC    []byte `json:"marc"`
}

// ImportResult is what became of one record.
type ImportResult struct {
	Ordinal   int      `json:"ordinal"`
	Offset    int64    `json:"offset"`
	Outcome   string   `json:"outcome"`
	BiblioID  string   `json:"biblio_id,omitempty"`
	MatchedBy string   `json:"matched_by,omitempty"`
	Items     int      `json:"items,omitempty"`
	Title     string   `json:"title,omitempty"`
	Error     string   `json:"error,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

// ImportResponse answers an ImportRequest, one result per record in order.
type ImportResponse struct {
	Results []ImportResult `json:"results"`
}
