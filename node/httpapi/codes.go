package httpapi

import (
	"net/http"
	"slices"

	"stacks/branch/domain"
)

// The API's own codes, for refusals made by the HTTP edge rather than by
// branch: a body that is not JSON, a session that expired. Each has a kind
// in apiCodeKinds; branch's codes have theirs in branch.
const (
	CodeBadJSON            domain.Code = "bad_json"
	CodeBodyTooLarge       domain.Code = "body_too_large"
	CodeMethodNotAllowed   domain.Code = "method_not_allowed"
	CodeLoginRequired      domain.Code = "login_required"
	CodeTokenExpired       domain.Code = "token_expired"
	CodeBadToken           domain.Code = "bad_token"
	CodeSessionRevoked     domain.Code = "session_revoked"
	CodeNotCentral         domain.Code = "not_central"
	CodeRegistryIsCentral  domain.Code = "registry_is_central"
	CodeClusterUnavailable domain.Code = "cluster_unavailable"
	CodePaymentsOff        domain.Code = "payments_not_offered"
	CodePaymentUnavailable domain.Code = "payment_provider_unavailable"
)

var apiCodeKinds = map[domain.Code]domain.Kind{
	CodeBadJSON:            domain.KindInvalid,
	CodeBodyTooLarge:       domain.KindTooLarge,
	CodeMethodNotAllowed:   domain.KindUnsupported,
	CodeLoginRequired:      domain.KindUnauthorised,
	CodeTokenExpired:       domain.KindUnauthorised,
	CodeBadToken:           domain.KindUnauthorised,
	CodeSessionRevoked:     domain.KindUnauthorised,
	CodeNotCentral:         domain.KindNotFound,
	CodeRegistryIsCentral:  domain.KindConflict,
	CodeClusterUnavailable: domain.KindUnavailable,
	CodePaymentsOff:        domain.KindNotFound,
	CodePaymentUnavailable: domain.KindUnavailable,
}

// APICodes lists the API's own codes, sorted.
func APICodes() []domain.Code {
	cs := make([]domain.Code, 0, len(apiCodeKinds))
	for c := range apiCodeKinds {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

// KindOf is the kind of any code the API answers: its own or branch's.
func KindOf(c domain.Code) domain.Kind {
	if k, ok := apiCodeKinds[c]; ok {
		return k
	}
	return c.Kind()
}

// kindStatus is the one table from a refusal's kind to its HTTP status.
var kindStatus = map[domain.Kind]int{
	domain.KindInternal:     http.StatusInternalServerError,
	domain.KindNotFound:     http.StatusNotFound,
	domain.KindInvalid:      http.StatusBadRequest,
	domain.KindRefused:      http.StatusForbidden,
	domain.KindConflict:     http.StatusConflict,
	domain.KindUnauthorised: http.StatusUnauthorized,
	domain.KindLocked:       http.StatusLocked,
	domain.KindUnavailable:  http.StatusServiceUnavailable,
	domain.KindTooLarge:     http.StatusRequestEntityTooLarge,
	domain.KindUnsupported:  http.StatusMethodNotAllowed,
}

// StatusOf is the HTTP status the API answers for a code.
func StatusOf(c domain.Code) int {
	if st, ok := kindStatus[KindOf(c)]; ok {
		return st
	}
	return http.StatusInternalServerError
}
