package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"stacks/node/apitype"
)

// writeJSON sends v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// Once the status is sent a failed write (the client went away) can
	// only be ignored.
	w.Write(append(b, '\n'))
	return nil
}

// created sends a new resource with its location.
func created(w http.ResponseWriter, location string, v any) error {
	w.Header().Set("Location", location)
	return writeJSON(w, http.StatusCreated, v)
}

// decodeBody reads exactly one JSON value into v: no unknown fields, no
// trailing data. An empty body is an error unless optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		return jsonError(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case tooLarge(err):
		return jsonError(err)
	default:
		return badJSON("The body has data after its JSON value; send exactly one JSON object.")
	}
}

func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// jsonError explains, in plain words, why a body could not be read.
func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mb  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mb):
		return &apiError{code: CodeBodyTooLarge,
			detail: "The request body is larger than the limit of " + strconv.FormatInt(mb.Limit, 10) + " bytes."}
	case errors.Is(err, io.EOF):
		return badJSON("The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badJSON("The JSON body ends before it is complete.")
	case errors.As(err, &syn):
		return badJSON("The body is not valid JSON (at byte %d): %s.", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		want := kindName(typ.Type)
		if typ.Field == "" {
			return badJSON("The body must be %s, not %s.", want, typ.Value)
		}
		return badJSON("Field %q must be %s, not %s.", typ.Field, want, typ.Value)
	}
	msg := err.Error()
	if i := strings.Index(msg, "unknown field "); i >= 0 {
		return badJSON("The body has an unknown field %s.", msg[i+len("unknown field "):])
	}
	return badJSON("The body could not be read as JSON: %s.", strings.TrimPrefix(msg, "json: "))
}

// kindName names a Go type as a JSON user would.
func kindName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a " + t.String()
}

// Paging, as Koha's API does it (apitype declares the names and limits).
const (
	defaultPerPage = apitype.DefaultPerPage
	maxPerPage     = apitype.MaxPerPage
	maxPage        = 1_000_000
)

type page struct {
	num, size int
}

func (p page) offset() int { return (p.num - 1) * p.size }

func pageOf(r *http.Request) (page, error) {
	p := page{num: 1, size: defaultPerPage}
	q := r.URL.Query()
	if s := q.Get(apitype.ParamPage); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			return p, badRequest("_page must be a whole number from 1 to %d.", maxPage)
		}
		p.num = n
	}
	if s := q.Get(apitype.ParamPerPage); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, badRequest("_per_page must be a whole number from 1 to %d.", maxPerPage)
		}
		p.size = min(n, maxPerPage)
	}
	return p, nil
}

// paginate returns one page of a whole list, never nil, and tells the
// client the total.
func paginate[T any](w http.ResponseWriter, all []T, p page) []T {
	w.Header().Set(apitype.HeaderTotalCount, strconv.Itoa(len(all)))
	start := min(p.offset(), len(all))
	end := min(start+p.size, len(all))
	return nonNil(all[start:end])
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("%s must be true or false.", name)
	}
	return v, nil
}

// requiredParam reads a query parameter that must be given.
func requiredParam(r *http.Request, name string) (string, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return "", badRequest("The query parameter %s is required.", name)
	}
	return s, nil
}
