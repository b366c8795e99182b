package apitype

// BlockRequest is POST /api/v1/patrons/{id}/block.
type BlockRequest struct {
	Reason string `json:"reason"`
}

// ItemPropertiesRequest is PUT /api/v1/items/{id}/properties; an empty
// string clears them, a missing field is refused.
type ItemPropertiesRequest struct {
	Properties *string `json:"properties"`
}
