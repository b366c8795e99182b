package apitype

// SuggestionsSetting is a patron's opt-in to personal suggestions
// (GET and PUT /api/v1/patron/suggestions).
type SuggestionsSetting struct {
	Enabled *bool `json:"enabled"`
}
