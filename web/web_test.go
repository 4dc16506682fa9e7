package web

import (
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestLanguage(t *testing.T) {
	tests := []struct {
		header, want string
	}{
		{"", "en"},
		{"ru", "ru"},
		{"ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"},
		{"en-GB,en;q=0.9,ru;q=0.8", "en"},
		{"de-DE,de;q=0.9,ru;q=0.5", "ru"},
		{"de-DE,fr;q=0.9", "en"},
		{"en;q=0.3, ru;q=0.6", "ru"},
		{"ru;q=0, en;q=0.1", "en"},
		{"RU-ru", "ru"},
		{"ru;q=bad, en", "en"},
		{"*", "en"},
	}
	for _, tt := range tests {
		r := requestIn(tt.header)
		if got := language(r).Lang; got != tt.want {
			t.Errorf("Accept-Language %q: %q, want %q", tt.header, got, tt.want)
		}
	}
}

func requestIn(acceptLanguage string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", acceptLanguage)
	return r
}

// Russian readers get the page in Russian.
func TestRussianPage(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{}, live, live, testLogger())
	res, body := get(t, h, "/?q="+url.QueryEscape(harbourQ), "Accept-Language", "ru-RU,ru;q=0.9")
	page := parse(t, body)
	if got := attr(byTag(page, "html")[0], "lang"); got != "ru" {
		t.Errorf(`<html lang=%q>, want "ru"`, got)
	}
	if res.Header.Get("Vary") != "Accept-Language" {
		t.Errorf("Vary %q", res.Header.Get("Vary"))
	}
	for _, want := range []string{"Спросите документы", "Источники", "Ваш вопрос", "Спросить", "Уверенность"} {
		if !strings.Contains(text(page), want) {
			t.Errorf("the Russian page lacks %q", want)
		}
	}
	_, body = get(t, h, "/?q="+url.QueryEscape("Какого цвета луна на Юпитере?"), "Accept-Language", "ru")
	page = parse(t, body)
	if ref := bySelector(page, "p.refusal"); len(ref) != 1 || !strings.HasPrefix(text(ref[0]), "В документах об этом не сказано") {
		t.Errorf("the Russian refusal reads %q", text(mustID(t, page, "answer")))
	}
	_, body = get(t, h, "/?q="+url.QueryEscape(moonQ), "Accept-Language", "ru")
	if page = parse(t, body); byID(page, "closest") == nil || !strings.Contains(text(page), "Ближайшие фрагменты") {
		t.Error("a refusal's closest passages are not headed in Russian")
	}
}

// Paths and methods no route serves get HTML error pages.
func TestFallback(t *testing.T) {
	h := New(Config{}, newTestLive(t, true), nil, testLogger())
	res, body := get(t, h, "/nothing")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "There is no page here.") {
		t.Errorf("unknown path: status %d", res.StatusCode)
	}
	r, _ := http.NewRequest(http.MethodDelete, "/documents", nil)
	res, _ = serve(t, h, r)
	if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(res.Header.Get("Allow"), "GET") ||
		res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("wrong method: status %d, Allow %q, type %q", res.StatusCode, res.Header.Get("Allow"), res.Header.Get("Content-Type"))
	}
}

// assetNames are the hashed asset names, which change with every edit of
// the stylesheet or the script; golden files hold them as HASH.
var assetNames = regexp.MustCompile(`/static/(site|icon)\.[0-9a-f]{12}\.`)

// The pages as rendered, byte for byte: an answer with its sources, a
// refusal in Russian, the viewer of the hostile document with a span,
// and the document list. go test -update rewrites them.
func TestGoldenPages(t *testing.T) {
	live := newTestLive(t, true)
	h := New(Config{}, live, live, testLogger())
	tests := []struct {
		name, target, lang string
	}{
		{"answer", "/?q=" + url.QueryEscape(harbourQ), "en"},
		{"refusal-ru", "/?q=" + url.QueryEscape(moonQ), "ru"},
		{"viewer", "/documents/hostile.txt?start=20&end=300", "en"},
		{"documents", "/documents", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := get(t, h, tt.target, "Accept-Language", tt.lang)
			got := assetNames.ReplaceAllString(body, "/static/$1.HASH.")
			path := filepath.Join("testdata", tt.name+".golden.html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", tt.target, path, got)
			}
		})
	}
}
