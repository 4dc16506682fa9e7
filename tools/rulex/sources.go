package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	cyrWordRe = regexp.MustCompile(`[а-яёА-ЯЁ]+`)
	latinRe   = regexp.MustCompile(`[A-Za-z]`)
)

// readEnru reads enru-dict's data/enru.dict.json, an object mapping an
// English word form to one Russian rendering ("adopted": "принят"). A
// one-word rendering scores 1 for its stem; each content word of a phrase
// ("abdicated": "отрекся от престола") scores 0.3. Renderings that kept
// Latin letters are untranslated and skipped.
func readEnru(path string) (scores, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := scores{}
	for en, ru := range m {
		en = strings.ToLower(strings.TrimSpace(en))
		if !usableEnglish(en) || latinRe.MatchString(ru) {
			continue
		}
		words := cyrWordRe.FindAllString(ru, -1)
		v := 1.0
		if len(words) > 1 {
			v = 0.3
		}
		for _, w := range words {
			if usableRussian(w) {
				s.add(w, en, v)
			}
		}
	}
	return s, nil
}

// readCountries reads i18n-iso-countries' langs/ru.json and langs/en.json:
// {"countries": {"BY": "Беларусь", "RU": ["Российская Федерация",
// "Россия"], ...}}. Every one-word Russian name maps to every one-word
// English name of the same country; longer names would need word alignment.
func readCountries(dir string) (scores, error) {
	load := func(lang string) (map[string][]string, error) {
		data, err := os.ReadFile(filepath.Join(dir, lang+".json"))
		if err != nil {
			return nil, err
		}
		var f struct {
			Countries map[string]json.RawMessage `json:"countries"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s.json: %w", lang, err)
		}
		out := map[string][]string{}
		for code, raw := range f.Countries {
			var one string
			var many []string
			if json.Unmarshal(raw, &one) == nil {
				many = []string{one}
			} else if err := json.Unmarshal(raw, &many); err != nil {
				return nil, fmt.Errorf("%s.json %s: %w", lang, code, err)
			}
			out[code] = many
		}
		return out, nil
	}
	ru, err := load("ru")
	if err != nil {
		return nil, err
	}
	en, err := load("en")
	if err != nil {
		return nil, err
	}
	s := scores{}
	for code, rus := range ru {
		var ens []string
		for _, e := range en[code] {
			// Two-letter names are codes ("US", "UK") that clash with words.
			if e = strings.ToLower(e); len(e) > 2 && usableEnglish(e) {
				ens = append(ens, e)
			}
		}
		for _, r := range rus {
			if w := cyrWordRe.FindAllString(r, -1); len(w) == 1 && w[0] == strings.TrimSpace(r) && usableRussian(r) {
				for _, e := range ens {
					s.add(r, e, 1)
				}
			}
		}
	}
	return s, nil
}
