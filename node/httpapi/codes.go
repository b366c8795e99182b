package httpapi

import (
	"net/http"
	"slices"

	"stacks/branch"
)

// The API's own codes, for refusals made by the HTTP edge rather than by
// branch: a body that is not JSON, a session that expired. Each has a kind
// in apiCodeKinds; branch's codes have theirs in branch.
const (
	CodeBadJSON            branch.Code = "bad_json"
	CodeBodyTooLarge       branch.Code = "body_too_large"
	CodeMethodNotAllowed   branch.Code = "method_not_allowed"
	CodeLoginRequired      branch.Code = "login_required"
	CodeTokenExpired       branch.Code = "token_expired"
	CodeBadToken           branch.Code = "bad_token"
	CodeSessionRevoked     branch.Code = "session_revoked"
	CodeNotCentral         branch.Code = "not_central"
	CodeRegistryIsCentral  branch.Code = "registry_is_central"
	CodeClusterUnavailable branch.Code = "cluster_unavailable"
)

var apiCodeKinds = map[branch.Code]branch.Kind{
	CodeBadJSON:            branch.KindInvalid,
	CodeBodyTooLarge:       branch.KindTooLarge,
	CodeMethodNotAllowed:   branch.KindUnsupported,
	CodeLoginRequired:      branch.KindUnauthorised,
	CodeTokenExpired:       branch.KindUnauthorised,
	CodeBadToken:           branch.KindUnauthorised,
	CodeSessionRevoked:     branch.KindUnauthorised,
	CodeNotCentral:         branch.KindNotFound,
	CodeRegistryIsCentral:  branch.KindConflict,
	CodeClusterUnavailable: branch.KindUnavailable,
}

// APICodes lists the API's own codes, sorted.
func APICodes() []branch.Code {
	cs := make([]branch.Code, 0, len(apiCodeKinds))
	for c := range apiCodeKinds {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

// KindOf is the kind of any code the API answers: its own or branch's.
func KindOf(c branch.Code) branch.Kind {
	if k, ok := apiCodeKinds[c]; ok {
		return k
	}
	return c.Kind()
}

// kindStatus is the one table from a refusal's kind to its HTTP status.
var kindStatus = map[branch.Kind]int{
	branch.KindInternal:     http.StatusInternalServerError,
	branch.KindNotFound:     http.StatusNotFound,
	branch.KindInvalid:      http.StatusBadRequest,
	branch.KindRefused:      http.StatusForbidden,
	branch.KindConflict:     http.StatusConflict,
	branch.KindUnauthorised: http.StatusUnauthorized,
	branch.KindLocked:       http.StatusLocked,
	branch.KindUnavailable:  http.StatusServiceUnavailable,
	branch.KindTooLarge:     http.StatusRequestEntityTooLarge,
	branch.KindUnsupported:  http.StatusMethodNotAllowed,
}

// StatusOf is the HTTP status the API answers for a code.
func StatusOf(c branch.Code) int {
	if st, ok := kindStatus[KindOf(c)]; ok {
		return st
	}
	return http.StatusInternalServerError
}
