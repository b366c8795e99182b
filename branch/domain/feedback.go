package domain

// Feedback's plain types (branch/feedback), here so that clients (the desk,
// the kiosk) use them without linking storage.

// Feedback transaction kinds: what a survey asks about. A capability may
// invite for a kind of its own (event_attended, help_closed) by
// registering how to tell that its transaction still stands.
const (
	FeedbackRenewal      = "renewal"
	FeedbackHoldPickup   = "hold_pickup"
	FeedbackKioskSession = "kiosk_session"
	FeedbackEvent        = "event_attended"
	FeedbackHelp         = "help_closed"
	// FeedbackGeneral is an answer given without an invitation.
	FeedbackGeneral = "general"
)

// FeedbackTrigger asks for a survey invitation after a transaction.
type FeedbackTrigger struct {
	PatronID string `json:"patron_id"`
	// Kind is the transaction's kind; Ref names it (a loan, a
	// registration, a help request), for the kind's "still stands" check.
	Kind string `json:"kind"`
	Ref  string `json:"ref,omitempty"`
	// Channel is where the transaction happened; "" means the actor's.
	Channel Channel `json:"channel,omitempty"`
	// LibraryID is the branch it happened at; "" means this node's.
	LibraryID string `json:"library_id,omitempty"`
}

// FeedbackInvitation is one patron invited to one survey.
type FeedbackInvitation struct {
	InvitationID string  `json:"invitation_id"`
	PatronID     string  `json:"patron_id"`
	LibraryID    string  `json:"library_id"`
	Channel      Channel `json:"channel"`
	Kind         string  `json:"kind"`
	Ref          string  `json:"ref,omitempty"`
	InvitedAt    string  `json:"invited_at"`
	ExpiresAt    string  `json:"expires_at"`
	ClosedAt     string  `json:"closed_at,omitempty"`
}

// FeedbackAnswer is what a patron answers. Score (CSAT, 1-5) and NPS
// (0-10) are nil when not given. An anonymous answer has no PatronID and
// no InvitationID, and its time is its day only.
type FeedbackAnswer struct {
	AnswerID     string          `json:"answer_id"`
	PatronID     string          `json:"patron_id,omitempty"`
	Anonymous    bool            `json:"anonymous"`
	InvitationID string          `json:"invitation_id,omitempty"`
	LibraryID    string          `json:"library_id"`
	Channel      Channel         `json:"channel"`
	Kind         string          `json:"kind"`
	Day          string          `json:"day"`
	Week         string          `json:"week"`
	At           string          `json:"at,omitempty"`
	Score        *int            `json:"score,omitempty"`
	NPS          *int            `json:"nps,omitempty"`
	Comment      string          `json:"comment,omitempty"`
	Replies      []FeedbackReply `json:"replies,omitempty"`
}

// FeedbackReply is a staff member's reply to a named answer, which the
// patron reads in their account.
type FeedbackReply struct {
	ReplyID  string `json:"reply_id"`
	AnswerID string `json:"answer_id"`
	Text     string `json:"text"`
	Staff    string `json:"staff"`
	At       string `json:"at"`
}

// FeedbackResult is one cell of the results: a branch, a channel and an
// ISO week (2026-W49). NPS is % promoters (9-10) minus % detractors (0-6)
// of the answers that gave an NPS; CSAT is % of the answers that gave a
// score whose score is 4 or 5; ResponseRate is answers / invitations
// (invitations counted by the week they were made). A figure whose
// denominator is 0 is nil.
type FeedbackResult struct {
	LibraryID    string   `json:"library_id"`
	Channel      Channel  `json:"channel"`
	Week         string   `json:"week"`
	Answers      int      `json:"answers"`
	Invitations  int      `json:"invitations"`
	NPSAnswers   int      `json:"nps_answers"`
	Promoters    int      `json:"promoters"`
	Passives     int      `json:"passives"`
	Detractors   int      `json:"detractors"`
	ScoreAnswers int      `json:"score_answers"`
	Satisfied    int      `json:"satisfied"`
	NPS          *float64 `json:"nps"`
	CSAT         *float64 `json:"csat"`
	ResponseRate *float64 `json:"response_rate"`
}

// YouSaidWeDid is one entry of the public "you said, we did" page: what
// patrons said and what the library did, in English and Finnish.
type YouSaidWeDid struct {
	EntryID   string `json:"entry_id"`
	SaidEN    string `json:"said_en"`
	SaidFI    string `json:"said_fi"`
	DidEN     string `json:"did_en"`
	DidFI     string `json:"did_fi"`
	Published bool   `json:"published"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}
