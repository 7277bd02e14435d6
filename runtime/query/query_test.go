package query_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/query"
)

// butlerGET is Butler's published GET example, verbatim.
const butlerGET = "event=Qlik+Sense+reload+failed&hostName=pro2-win1&user=LAB%5Cgoran&taskName=Manually+triggered+reload+of+Test+failing+reloads+2&taskId=dec2a02a-1680-44ef-8dc2-e2bfb180af87&appName=Test+failing+reloads+2&appId=e7af59a0-c243-480d-9571-08727551a66f&logTimeStamp=2021-02-16+09%3A24%3A59%2C099&logLevel=INFO&executionId=14a81bf5-f81c-4047-b1a1-193b0920de28&logMessage=Max+retries+reached"

// butlerPOST is the same event as Butler's published POST body.
const butlerPOST = `{"event":"Qlik Sense reload failed","hostName":"pro2-win1","user":"LAB\\goran","taskName":"Manually triggered reload of Test failing reloads 2","taskId":"dec2a02a-1680-44ef-8dc2-e2bfb180af87","appName":"Test failing reloads 2","appId":"e7af59a0-c243-480d-9571-08727551a66f","logTimeStamp":"2021-02-16 09:24:59,099","logLevel":"INFO","executionId":"14a81bf5-f81c-4047-b1a1-193b0920de28","logMessage":"Max retries reached"}`

// TestEncodeMatchesURLSearchParams: encoding Butler's POST body gives
// exactly the query string Butler's GET sends (URLSearchParams: + for
// space, %5C for backslash, %3A, %2C).
func TestEncodeMatchesURLSearchParams(t *testing.T) {
	got, err := query.Encode([]byte(butlerPOST), nil)
	require.NoError(t, err)
	assert.Equal(t, butlerGET, got)
}

func TestToJSONRoundTrip(t *testing.T) {
	q, err := url.ParseQuery(butlerGET)
	require.NoError(t, err)
	b, err := query.ToJSON(q, []query.Field{{Query: "event", Property: "event"}, {Query: "hostName", Property: "hostName"}})
	require.NoError(t, err)
	assert.JSONEq(t, butlerPOST, string(b))
}

func TestToJSONTypes(t *testing.T) {
	fields := []query.Field{
		{Query: "statechanged", Property: "stateChanged", Type: "boolean"},
		{Query: "daysUntilExpiry", Property: "daysUntilExpiry", Type: "integer", Nullable: true},
		{Query: "servicestatus", Property: "serviceStatus"},
		{Query: "appOwnerName", Property: "appOwnerName"},
		{Query: "ratio", Property: "ratio", Type: "number"},
	}
	cases := []struct {
		name, q, want string
	}{
		{"bool and rename", "statechanged=true&servicestatus=RUNNING", `{"stateChanged":true,"serviceStatus":"RUNNING"}`},
		{"null literal", "daysUntilExpiry=null", `{"daysUntilExpiry":null}`},
		{"integer", "daysUntilExpiry=12", `{"daysUntilExpiry":12}`},
		{"undefined is absent", "appOwnerName=undefined&servicestatus=x", `{"serviceStatus":"x"}`},
		{"bad bool stays a string for the validator", "statechanged=yes", `{"stateChanged":"yes"}`},
		{"bad integer stays a string", "daysUntilExpiry=12x", `{"daysUntilExpiry":"12x"}`},
		{"number", "ratio=0.5", `{"ratio":0.5}`},
		{"unknown parameters kept", "zeta=1&alpha=2", `{"alpha":"2","zeta":"1"}`},
		{"first value wins", "servicestatus=a&servicestatus=b", `{"serviceStatus":"a"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := url.ParseQuery(c.q)
			require.NoError(t, err)
			b, err := query.ToJSON(q, fields)
			require.NoError(t, err)
			assert.JSONEq(t, c.want, string(b))
		})
	}
}

func TestEncodeRenames(t *testing.T) {
	got, err := query.Encode([]byte(`{"event":"Windows service monitor","serviceStatus":"RUNNING","stateChanged":true,"n":null}`),
		[]query.Field{{Query: "servicestatus", Property: "serviceStatus"}, {Query: "statechanged", Property: "stateChanged"}})
	require.NoError(t, err)
	assert.Equal(t, "event=Windows+service+monitor&servicestatus=RUNNING&statechanged=true&n=null", got)
}

func TestFormEscape(t *testing.T) {
	assert.Equal(t, "a*-._%7E", query.FormEscape("a*-._~"))
	assert.Equal(t, "%C3%A9+%2B%26%3D", query.FormEscape("é +&="))
}

func TestParse(t *testing.T) {
	q, err := query.Parse("http://someremote.system.com/butler_get?" + butlerGET)
	require.NoError(t, err)
	assert.Equal(t, `LAB\goran`, q.Get("user"))
}

// FuzzToJSON: any query string converts to a valid JSON object and never
// panics; declared fields keep their values through Encode.
func FuzzToJSON(f *testing.F) {
	f.Add(butlerGET)
	f.Add("statechanged=true&daysUntilExpiry=null&x=%ZZ")
	f.Add("a=undefined&b=&=c")
	fields := []query.Field{{Query: "statechanged", Property: "stateChanged", Type: "boolean"}, {Query: "daysUntilExpiry", Property: "daysUntilExpiry", Type: "integer", Nullable: true}, {Query: "r", Property: "r", Type: "number"}}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		b, err := query.ToJSON(q, fields)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("ToJSON produced invalid JSON %q: %v", b, err)
		}
		enc, err := query.Encode(b, fields)
		if err != nil {
			t.Fatalf("Encode of %s: %v", b, err)
		}
		if _, err := url.ParseQuery(enc); err != nil {
			t.Fatalf("Encode produced an unparsable query %q: %v", enc, err)
		}
	})
}
