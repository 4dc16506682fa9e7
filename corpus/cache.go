package corpus

import (
	"container/list"
	"slices"
	"sync"

	"citebot/answer"
)

type cacheKey struct {
	question string
	k        int
}

// cache is a bounded least-recently-used map of answers for one index.
// A nil cache holds nothing.
type cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *entry, most recent first
	items map[cacheKey]*list.Element
}

type entry struct {
	key cacheKey
	a   answer.Answer
}

func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), items: make(map[cacheKey]*list.Element, max)}
}

// get returns a cached answer, with slices of its own: a caller may
// modify it without changing what others get.
func (c *cache) get(k cacheKey) (answer.Answer, bool) {
	if c == nil {
		return answer.Answer{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return answer.Answer{}, false
	}
	c.order.MoveToFront(el)
	a := el.Value.(*entry).a
	a.Citations, a.Passages = slices.Clone(a.Citations), slices.Clone(a.Passages)
	return a, true
}

func (c *cache) put(k cacheKey, a answer.Answer) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		el.Value.(*entry).a = a
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&entry{k, a})
	if c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry).key)
	}
}
