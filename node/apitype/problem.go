package apitype

// ContentTypeProblem is the media type of a Problem.
const ContentTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem detail with a stable machine code: every
// refusal and failure the API answers. Code is one of branch's codes or the
// API's own (node/httpapi's Code* constants).
type Problem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Detail      string `json:"detail"`
	Overridable bool   `json:"overridable,omitempty"`
	// Refusals lists every rule refusal of the request when there are
	// several: an override sets them all aside.
	Refusals []Refusal `json:"refusals,omitempty"`
	// Permission is the permission a caller lacked (403 not_permitted).
	Permission string `json:"permission,omitempty"`
}

// Refusal is one rule refusal of a request.
type Refusal struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}
