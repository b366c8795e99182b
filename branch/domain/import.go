package domain

// MARC import (branch/imports): how a run is steered and what became of
// each record. POST /api/v1/biblios/import carries these as they are.

// Actions: what an import does with a record that matches a title.
// Records that match nothing are always added.
const (
	ImportActionSkip    = "skip"    // leave the matched title as it is
	ImportActionOverlay = "overlay" // replace the matched title's fields with the record's, but those edited locally
	ImportActionAdd     = "add"     // add the record as a new title all the same
	// ImportActionOverlayAll replaces every field of the matched title,
	// local edits too.
	ImportActionOverlayAll = "overlay-all"
)

// Outcomes of one record.
const (
	ImportAdded    = "added"
	ImportOverlaid = "overlaid"
	ImportSkipped  = "skipped"
	ImportFailed   = "error"
)

// ImportMaxRecords is the most records one import batch (one transaction) takes.
const ImportMaxRecords = 1000

// ImportOptions steer one import run.
type ImportOptions struct {
	// Match lists the rules to match by, in order (ImportMatchISBN,
	// ImportMatchSystem, ImportMatchControl); empty means all three.
	Match []string `json:"match,omitempty"`
	// Action is ImportActionSkip (default), ImportActionOverlay,
	// ImportActionOverlayAll or ImportActionAdd.
	Action string `json:"action,omitempty"`
	// DryRun matches and reports but writes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Items is how many copies to add to each added title that has no
	// holdings fields (952, 852); at Library, of ItemType.
	Items    int    `json:"items,omitempty"`
	Library  string `json:"library_id,omitempty"`
	ItemType string `json:"item_type_id,omitempty"`
	// Run and Seq order the batches of one run that a client sends
	// without waiting for each answer: batch Seq (from 0) of run Run is
	// applied after batch Seq-1, as if sent one after the other, so a
	// record matches every record before it in the file. Empty Run: no
	// order.
	Run string `json:"run,omitempty"`
	Seq int    `json:"seq,omitempty"`
}

// ImportResult is what became of one record.
type ImportResult struct {
	Ordinal   int    `json:"ordinal"`
	Offset    int64  `json:"offset"`
	Outcome   string `json:"outcome"`             // ImportAdded, ImportOverlaid, ImportSkipped or ImportFailed
	BiblioID  string `json:"biblio_id,omitempty"` // the title added, overlaid or matched
	MatchedBy string `json:"matched_by,omitempty"`
	Items     int    `json:"items,omitempty"` // copies added
	Title     string `json:"title,omitempty"`
	Error     string `json:"error,omitempty"`
	// Kept names the fields an overlay left as they were, because they
	// were edited locally after the title was imported (or the title was
	// catalogued by hand).
	Kept []string `json:"kept,omitempty"`
	// Warnings are what was left out of an imported record (a copy of
	// an unknown library, an unusable barcode).
	Warnings []string `json:"warnings,omitempty"`
}

// Validate checks and completes the options.
func (o *ImportOptions) Validate() error {
	if o.Action == "" {
		o.Action = ImportActionSkip
	}
	switch o.Action {
	case ImportActionSkip, ImportActionOverlay, ImportActionOverlayAll, ImportActionAdd:
	default:
		return Invalid("Unknown import action %q (add, overlay, overlay-all or skip).", o.Action)
	}
	if len(o.Match) == 0 {
		o.Match = []string{ImportMatchISBN, ImportMatchSystem, ImportMatchControl}
	}
	for _, m := range o.Match {
		if m != ImportMatchISBN && m != ImportMatchSystem && m != ImportMatchControl {
			return Invalid("Unknown match rule %q (isbn, 035 or 001).", m)
		}
	}
	if len(o.Run) > 64 || o.Seq < 0 {
		return Invalid("A run is named by at most 64 characters and its batches numbered from 0.")
	}
	if o.Items < 0 || o.Items > 100 {
		return Invalid("Copies per title must be 0 to 100, not %d.", o.Items)
	}
	return nil
}

// Match rules, named as the --match flag names them.
const (
	ImportMatchISBN    = "isbn" // 020 $a and $z, as ISBN-13
	ImportMatchSystem  = "035"  // 035 $a, system control numbers
	ImportMatchControl = "001"  // 001 with 003
	// ImportMatchRecord is a digest of the record's bibliographic fields,
	// always tried last: it makes re-importing a record that has no
	// other key (no ISBN, 035 or 001) add nothing.
	ImportMatchRecord = "record"
)
