package httpapi_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"stacks/branch/domain"
	"stacks/node/httpapi"
)

// wantStatus is the status the API answers for every code, branch's and
// its own. A new code fails TestEveryCodeHasAStatus until it is listed
// here, so no refusal turns into a 500 by accident.
var wantStatus = map[domain.Code]int{
	domain.CodeInternal: http.StatusInternalServerError,

	domain.CodeNotFound:         http.StatusNotFound,
	domain.CodePatronNotFound:   http.StatusNotFound,
	domain.CodeItemNotFound:     http.StatusNotFound,
	domain.CodeBiblioNotFound:   http.StatusNotFound,
	domain.CodeLoanNotFound:     http.StatusNotFound,
	domain.CodeHoldNotFound:     http.StatusNotFound,
	domain.CodeFeeNotFound:      http.StatusNotFound,
	domain.CodeLibraryNotFound:  http.StatusNotFound,
	domain.CodeCategoryNotFound: http.StatusNotFound,
	domain.CodeItemTypeNotFound: http.StatusNotFound,
	domain.CodeConflictNotFound: http.StatusNotFound,

	domain.CodeInvalid:        http.StatusBadRequest,
	domain.CodeBadBarcode:     http.StatusBadRequest,
	domain.CodeBadAmount:      http.StatusBadRequest,
	domain.CodeOverrideReason: http.StatusBadRequest,

	domain.CodePatronBlocked:      http.StatusForbidden,
	domain.CodeCardExpired:        http.StatusForbidden,
	domain.CodeTooManyLoans:       http.StatusForbidden,
	domain.CodeFinesOverLimit:     http.StatusForbidden,
	domain.CodeItemOnHold:         http.StatusForbidden,
	domain.CodeNotLoanable:        http.StatusForbidden,
	domain.CodeItemNotAvailable:   http.StatusForbidden,
	domain.CodeRenewalsExhausted:  http.StatusForbidden,
	domain.CodeRenewalBlocked:     http.StatusForbidden,
	domain.CodeHoldNotAllowed:     http.StatusForbidden,
	domain.CodeTooManyHolds:       http.StatusForbidden,
	domain.CodeAlreadyOnLoan:      http.StatusForbidden,
	domain.CodeNotPermitted:       http.StatusForbidden,
	domain.CodeSuggestionsOff:     http.StatusForbidden,
	domain.CodeOverrideNotAllowed: http.StatusForbidden,

	domain.CodeDuplicateHold:     http.StatusConflict,
	domain.CodeDuplicateCard:     http.StatusConflict,
	domain.CodeDuplicateBarcode:  http.StatusConflict,
	domain.CodeDuplicatePatron:   http.StatusConflict,
	domain.CodeErasureRefused:    http.StatusConflict,
	domain.CodeNotSelfRegistered: http.StatusConflict,
	domain.CodeItemCheckedOut:    http.StatusConflict,
	domain.CodeAlreadyCheckedOut: http.StatusConflict,
	domain.CodeHoldNotActive:     http.StatusConflict,
	domain.CodeConflictResolved:  http.StatusConflict,

	domain.CodeBadCredentials: http.StatusUnauthorized,
	domain.CodeNotLoggedIn:    http.StatusUnauthorized,
	domain.CodePINRequired:    http.StatusUnauthorized,
	domain.CodePINLocked:      http.StatusLocked,

	domain.CodeNoLicenceFree:      http.StatusForbidden,
	domain.CodeNotDigital:         http.StatusBadRequest,
	domain.CodeDigitalOffline:     http.StatusServiceUnavailable,
	domain.CodeNoticesUnavailable: http.StatusServiceUnavailable,
	domain.CodeLicenceNotFound:    http.StatusNotFound,
	domain.CodeDigitalLoanExists:  http.StatusConflict,

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
	httpapi.CodePaymentsOff:        http.StatusNotFound,
	httpapi.CodePaymentUnavailable: http.StatusServiceUnavailable,
}

func TestEveryCodeHasAStatus(t *testing.T) {
	all := append(domain.Codes(), httpapi.APICodes()...)
	seen := map[domain.Code]bool{}
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
		if c != domain.CodeInternal && httpapi.KindOf(c) == domain.KindInternal {
			t.Errorf("%q has no kind", c)
		}
	}
	for c := range wantStatus {
		if !seen[c] {
			t.Errorf("wantStatus lists %q, which no package declares", c)
		}
	}
	for _, k := range domain.Kinds() {
		if _, ok := httpapi.KindStatus(k); !ok {
			t.Errorf("kind %v has no HTTP status", k)
		}
	}
}

// Every branch refusal is answered with its code and its kind's status;
// an error that is not a refusal, or a code no table knows, is a logged 500.
func TestProblemFor(t *testing.T) {
	for _, c := range domain.Codes() {
		t.Run(string(c), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &domain.Error{Code: c, Message: "m"})
			st, code, internal := httpapi.ProblemFor(err)
			if st != wantStatus[c] || internal != (c == domain.CodeInternal) {
				t.Fatalf("status %d internal %v, want %d", st, internal, wantStatus[c])
			}
			if !internal && code != string(c) {
				t.Fatalf("code %q", code)
			}
		})
	}
	for _, err := range []error{errors.New("disk on fire"), &domain.Error{Code: "made_up", Message: "m"}} {
		if st, code, internal := httpapi.ProblemFor(err); st != http.StatusInternalServerError || code != "internal" || !internal {
			t.Errorf("%v: %d %s %v", err, st, code, internal)
		}
	}
}
