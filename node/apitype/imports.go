package apitype

import "stacks/branch/domain"

// MARC import: POST /api/v1/biblios/import takes an ImportRequest (a batch
// of records parsed by the client) and answers an ImportResponse, one
// result per record, in order. Each batch is one transaction.

// ImportMaxBytes bounds a batch's records (at most
// domain.ImportMaxRecords of them): a client keeps their bytes under it so
// that the request (base64 in JSON) fits the API's 1 MiB body limit.
const ImportMaxBytes = 600 << 10

// ImportRequest is one batch of records to import.
type ImportRequest struct {
	Options domain.ImportOptions `json:"options"`
	Records []ImportRecord       `json:"records"`
}

// ImportRecord is one record of the file: its number from 1 and byte
// offset in the file, and the record as ISO 2709 in UTF-8 (base64 in
// JSON), as the client's MARC reader decoded and repaired it.
type ImportRecord struct {
	Ordinal int    `json:"ordinal"`
	Offset  int64  `json:"offset"`
	MARC    []byte `json:"marc"`
}

// ImportResponse answers an ImportRequest, one result per record in order.
type ImportResponse struct {
	Results []domain.ImportResult `json:"results"`
}
