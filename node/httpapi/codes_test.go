package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"stacks/branch"
	"stacks/node/httpapi"
)

// wantStatus is the status the API answers for every code, branch's and
// its own. A new code fails TestEveryCodeHasAStatus until it is listed
// here, so no refusal turns into a 500 by accident.
var wantStatus = map[branch.Code]int{
	branch.CodeInternal: http.StatusInternalServerError,

	branch.CodeNotFound:         http.StatusNotFound,
	branch.CodePatronNotFound:   http.StatusNotFound,
	branch.CodeItemNotFound:     http.StatusNotFound,
	branch.CodeBiblioNotFound:   http.StatusNotFound,
	branch.CodeLoanNotFound:     http.StatusNotFound,
	branch.CodeHoldNotFound:     http.StatusNotFound,
	branch.CodeFeeNotFound:      http.StatusNotFound,
	branch.CodeLibraryNotFound:  http.StatusNotFound,
	branch.CodeCategoryNotFound: http.StatusNotFound,
	branch.CodeItemTypeNotFound: http.StatusNotFound,
	branch.CodeConflictNotFound: http.StatusNotFound,

	branch.CodeInvalid:        http.StatusBadRequest,
	branch.CodeBadBarcode:     http.StatusBadRequest,
	branch.CodeBadAmount:      http.StatusBadRequest,
	branch.CodeOverrideReason: http.StatusBadRequest,

	branch.CodePatronBlocked:      http.StatusForbidden,
	branch.CodeCardExpired:        http.StatusForbidden,
	branch.CodeTooManyLoans:       http.StatusForbidden,
	branch.CodeFinesOverLimit:     http.StatusForbidden,
	branch.CodeItemOnHold:         http.StatusForbidden,
	branch.CodeNotLoanable:        http.StatusForbidden,
	branch.CodeItemNotAvailable:   http.StatusForbidden,
	branch.CodeRenewalsExhausted:  http.StatusForbidden,
	branch.CodeRenewalBlocked:     http.StatusForbidden,
	branch.CodeHoldNotAllowed:     http.StatusForbidden,
	branch.CodeTooManyHolds:       http.StatusForbidden,
	branch.CodeAlreadyOnLoan:      http.StatusForbidden,
	branch.CodeNotPermitted:       http.StatusForbidden,
	branch.CodeOverrideNotAllowed: http.StatusForbidden,

	branch.CodeDuplicateHold:     http.StatusConflict,
	branch.CodeDuplicateCard:     http.StatusConflict,
	branch.CodeDuplicateBarcode:  http.StatusConflict,
	branch.CodeItemCheckedOut:    http.StatusConflict,
	branch.CodeAlreadyCheckedOut: http.StatusConflict,
	branch.CodeHoldNotActive:     http.StatusConflict,
	branch.CodeConflictResolved:  http.StatusConflict,

	branch.CodeBadCredentials: http.StatusUnauthorized,
	branch.CodeNotLoggedIn:    http.StatusUnauthorized,
	branch.CodePINRequired:    http.StatusUnauthorized,
	branch.CodePINLocked:      http.StatusLocked,

	httpapi.CodeBadJSON:            http.StatusBadRequest,
	httpapi.CodeBodyTooLarge:       http.StatusRequestEntityTooLarge,
	httpapi.CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	httpapi.CodeLoginRequired:      http.StatusUnauthorized,
	httpapi.CodeTokenExpired:       http.StatusUnauthorized,
	httpapi.CodeBadToken:           http.StatusUnauthorized,
	httpapi.CodeSessionRevoked:     http.StatusUnauthorized,
	httpapi.CodeNotCentral:         http.StatusNotFound,
	httpapi.CodeRegistryIsCentral:  http.StatusConflict,
	httpapi.CodeClusterUnavailable: http.StatusServiceUnavailable,
}

func TestEveryCodeHasAStatus(t *testing.T) {
	all := append(branch.Codes(), httpapi.APICodes()...)
	seen := map[branch.Code]bool{}
	for _, c := range all {
		if seen[c] {
			t.Errorf("%q is both a branch code and an API code", c)
		}
		seen[c] = true
		want, ok := wantStatus[c]
		if !ok {
			t.Errorf("%q (kind %v) has no expected status in wantStatus", c, httpapi.KindOf(c))
			continue
		}
		if got := httpapi.StatusOf(c); got != want {
			t.Errorf("%q (kind %v): status %d, want %d", c, httpapi.KindOf(c), got, want)
		}
		if c != branch.CodeInternal && httpapi.KindOf(c) == branch.KindInternal {
			t.Errorf("%q has no kind", c)
		}
	}
	for c := range wantStatus {
		if !seen[c] {
			t.Errorf("wantStatus lists %q, which no package declares", c)
		}
	}
	for _, k := range branch.Kinds() {
		if _, ok := httpapi.KindStatus(k); !ok {
			t.Errorf("kind %v has no HTTP status", k)
		}
	}
}

// Every branch refusal is answered with its code and its kind's status;
// an error that is not a refusal, or a code no table knows, is a logged 500.
func TestProblemFor(t *testing.T) {
	for _, c := range branch.Codes() {
		t.Run(string(c), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &branch.Error{Code: c, Message: "m"})
			st, code, internal := httpapi.ProblemFor(err)
			if st != wantStatus[c] || internal != (c == branch.CodeInternal) {
				t.Fatalf("status %d internal %v, want %d", st, internal, wantStatus[c])
			}
			if !internal && code != string(c) {
				t.Fatalf("code %q", code)
			}
		})
	}
	for _, err := range []error{errors.New("disk on fire"), &branch.Error{Code: "made_up", Message: "m"}} {
		if st, code, internal := httpapi.ProblemFor(err); st != http.StatusInternalServerError || code != "internal" || !internal {
			t.Errorf("%v: %d %s %v", err, st, code, internal)
		}
	}
}
