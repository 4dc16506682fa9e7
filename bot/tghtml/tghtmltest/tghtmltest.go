// Package tghtmltest checks messages as Telegram's HTML parse mode would,
// independently of the code that writes them, for tests.
package tghtmltest

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// allowedTags are the tags of Telegram's HTML parse mode.
var allowedTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true,
	"blockquote": true, "tg-spoiler": true, "span": true,
}

// WellFormed checks html as Telegram's HTML parse mode would: valid UTF-8,
// only allowed tags with only their attributes, tags balanced, nothing
// nested in code or pre (but code in pre) or blockquote in blockquote, every
// & starting one of &amp; &lt; &gt; &quot;, and no raw < or > outside tags.
func WellFormed(html string) error {
	if !utf8.ValidString(html) {
		return errors.New("not valid UTF-8")
	}
	var stack []string
	for i := 0; i < len(html); {
		switch html[i] {
		case '<':
			j := strings.IndexByte(html[i:], '>')
			if j < 0 {
				return fmt.Errorf("offset %d: unterminated tag", i)
			}
			tag := html[i+1 : i+j]
			if strings.ContainsAny(tag, "<\n") || tag == "" || !entitiesOK(tag) {
				return fmt.Errorf("offset %d: bad tag %q", i, tag)
			}
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return fmt.Errorf("offset %d: </%s> closes %v", i, name, stack)
				}
				stack = stack[:len(stack)-1]
			} else {
				name, attrs, _ := strings.Cut(tag, " ")
				if !allowedTags[name] {
					return fmt.Errorf("offset %d: tag %q not allowed", i, name)
				}
				switch {
				case name == "a" && strings.HasPrefix(attrs, `href="`) && strings.HasSuffix(attrs, `"`) && !strings.Contains(attrs[6:len(attrs)-1], `"`):
				case name == "span" && attrs == `class="tg-spoiler"`:
				case name == "blockquote" && attrs == "expandable":
				case name == "code" && strings.HasPrefix(attrs, `class="language-`):
				case attrs == "" && name != "span" && name != "a":
				default:
					return fmt.Errorf("offset %d: tag %q has bad attributes", i, tag)
				}
				for _, open := range stack {
					if open == "code" || (open == "pre" && name != "code") || (open == "blockquote" && name == "blockquote") {
						return fmt.Errorf("offset %d: <%s> inside <%s>", i, name, open)
					}
				}
				stack = append(stack, name)
			}
			i += j + 1
		case '>':
			return fmt.Errorf("offset %d: raw >", i)
		case '&':
			n := entityAt(html[i:])
			if n == 0 {
				return fmt.Errorf("offset %d: bare &", i)
			}
			i += n
		default:
			i++
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	return nil
}

// entityAt is the length of the entity s starts with, 0 if none.
func entityAt(s string) int {
	for _, e := range []string{"&amp;", "&lt;", "&gt;", "&quot;"} {
		if strings.HasPrefix(s, e) {
			return len(e)
		}
	}
	return 0
}

// entitiesOK reports whether every & in s starts an entity.
func entitiesOK(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '&' && entityAt(s[i:]) == 0 {
			return false
		}
	}
	return true
}

// UTF16Len counts the UTF-16 code units of s, the unit of Telegram's
// message limit, without sharing code with the formatting it checks; an
// invalid byte counts as the one U+FFFD it becomes.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf8Len16(r)
	}
	return n
}

func utf8Len16(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}
