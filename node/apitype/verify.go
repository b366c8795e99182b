package apitype

// VerifyRequest is POST /api/v1/patrons/{id}/verify: a self-registered
// patron, checked by staff, joins the category.
type VerifyRequest struct {
	Category string `json:"category_id"`
}
