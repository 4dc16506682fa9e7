// citebot's page script. The pages work without it; with it, answers
// stream in without reloading the page, "/" focuses the question box,
// Enter asks (Shift+Enter starts a new line), the viewer scrolls to its
// highlight and offers a link to any selected text, and files dropped on
// the maintainers' drop zone are uploaded.
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

  // Maintenance: files dropped on the drop zone go into the upload form's
  // file input, and the form is sent as if they had been chosen; the
  // answer is the same page as without the script.
  var upload = document.getElementById('upload');
  var zone = document.getElementById('dropzone');
  var files = document.getElementById('files');
  if (upload && zone && files) {
    var status = document.getElementById('upload-status');
    var dropHint = document.getElementById('drop-hint');
    if (dropHint) dropHint.hidden = false;
    var sending = false;
    upload.addEventListener('submit', function (e) {
      if (sending) {
        e.preventDefault();
        return;
      }
      sending = true;
      if (status) status.textContent = upload.dataset.pending;
      document.getElementById('upload-submit').setAttribute('aria-disabled', 'true');
    });
    var carriesFiles = function (e) {
      return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') >= 0;
    };
    zone.addEventListener('dragover', function (e) {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', function (e) {
      if (!zone.contains(e.relatedTarget)) zone.classList.remove('over');
    });
    zone.addEventListener('drop', function (e) {
      e.preventDefault();
      zone.classList.remove('over');
      if (!e.dataTransfer || e.dataTransfer.files.length === 0) return;
      files.files = e.dataTransfer.files;
      upload.requestSubmit();
    });
    // A file dropped beside the zone would replace the page with itself.
    document.addEventListener('dragover', function (e) {
      if (carriesFiles(e)) e.preventDefault();
    });
    document.addEventListener('drop', function (e) {
      if (carriesFiles(e)) e.preventDefault();
    });
  }
})();
