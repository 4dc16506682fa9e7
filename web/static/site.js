// citebot's page script. The pages work without it; with it, answers
// stream in without reloading the page, "/" focuses the question box,
// Enter asks (Shift+Enter starts a new line), the viewer scrolls to its
// highlight and offers a link to any selected text.
'use strict';
(function () {
  var q = document.getElementById('q');
  var form = document.getElementById('ask');

  // The highlighted span of the viewer, in view.
  var hl = document.getElementById('hl');
  if (hl) hl.scrollIntoView({ block: 'center' });

  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || !q || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && t.closest && t.closest('input, textarea, select, [contenteditable]')) return;
    e.preventDefault();
    q.focus();
  });

  if (q && form) {
    var hint = document.getElementById('q-hint');
    if (hint) hint.hidden = false;
    q.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    var examples = document.getElementById('examples-form');
    if (examples) {
      examples.addEventListener('submit', function (e) {
        if (!e.submitter || !e.submitter.value) return;
        e.preventDefault();
        q.value = e.submitter.value;
        form.requestSubmit();
      });
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      ask();
    });
  }

  var busy = false;

  // ask sends the form (the question and the turns it carries) and draws
  // the answer as it streams: NDJSON events "start" (the earlier turns),
  // "text" (the answer's text as written), then "done" or "error" with
  // the server's rendering of the answer and of the turns to carry.
  function ask() {
    if (busy || !q.value.trim()) return;
    busy = true;
    var answer = document.getElementById('answer');
    var submit = document.getElementById('ask-submit');
    var text = el('p', 'answer-text', '');
    var pending = el('p', 'pending', form.dataset.pending);
    answer.setAttribute('aria-busy', 'true');
    answer.replaceChildren(el('h2', 'question', q.value), text, pending);
    submit.setAttribute('aria-disabled', 'true');
    document.body.dataset.state = 'asking';
    var finished = false;
    var body = new URLSearchParams(new FormData(form));

    function handle(ev) {
      if (ev.type === 'start') {
        document.getElementById('turns').innerHTML = ev.turns;
      } else if (ev.type === 'text') {
        text.textContent += ev.text;
        pending.remove();
      } else if (ev.type === 'done' || ev.type === 'error') {
        answer.innerHTML = ev.answer;
        if (ev.type === 'done') {
          document.getElementById('carry').innerHTML = ev.carry;
          q.value = '';
          var ex = document.getElementById('examples-section');
          if (ex) ex.hidden = true;
        }
        finished = true;
        document.body.dataset.state = ev.state;
      }
    }

    fetch(form.action, { method: 'POST', body: body, headers: { Accept: 'application/x-ndjson' } })
      .then(function (res) {
        if ((res.headers.get('Content-Type') || '').indexOf('application/x-ndjson') !== 0 || !res.body) {
          throw new Error('HTTP ' + res.status);
        }
        var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        var buf = '';
        function next() {
          return reader.read().then(function (r) {
            if (r.value) buf += r.value;
            var i;
            while ((i = buf.indexOf('\n')) >= 0) {
              var line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (line) handle(JSON.parse(line));
            }
            if (!r.done) return next();
            if (!finished) throw new Error('the answer was cut short');
          });
        }
        return next();
      })
      .catch(function () {
        answer.replaceChildren(el('p', 'error', form.dataset.failed));
        document.body.dataset.state = 'error';
      })
      .finally(function () {
        busy = false;
        answer.removeAttribute('aria-busy');
        submit.removeAttribute('aria-disabled');
      });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    e.className = cls;
    e.textContent = text;
    return e;
  }

  // In the viewer, a selection inside the document becomes a link to its
  // bytes: each piece of text carries its byte offset (data-o), and the
  // offset within it is the UTF-8 length of the text before.
  var doc = document.getElementById('doc');
  var selection = document.getElementById('selection');
  var link = document.getElementById('selection-link');
  if (doc && selection && link) {
    var utf8 = new TextEncoder();
    var offset = function (node, at) {
      var piece = node.nodeType === 3 ? node.parentElement : null;
      if (!piece || !piece.classList.contains('s') || !doc.contains(piece)) return -1;
      return Number(piece.dataset.o) + utf8.encode(node.data.slice(0, at)).length;
    };
    document.addEventListener('selectionchange', function () {
      var s = document.getSelection();
      if (!s || s.rangeCount === 0 || s.isCollapsed) return;
      var r = s.getRangeAt(0);
      var a = offset(r.startContainer, r.startOffset);
      var b = offset(r.endContainer, r.endOffset);
      if (a < 0 || b < 0 || b <= a) return;
      link.href = doc.dataset.doc + '?start=' + a + '&end=' + b;
      selection.hidden = false;
    });
  }
})();
