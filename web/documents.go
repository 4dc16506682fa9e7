package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"citebot/corpus"
	"citebot/document"
)

// documentRow is a row of the document list.
type documentRow struct {
	ID, Title, Href, Size, SameAs string
	Chunks                        int
	Pages                         string
}

type documentsData struct {
	Documents []documentRow
	Pages     bool // some document has pages: the list has their column
	Skipped   []document.Skipped
}

// handleDocuments lists the indexed documents, and the files skipped when
// the index being served was built, with their reasons.
func handleDocuments(s *site, lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		v, ok := lib.View()
		if !ok {
			s.fail(w, r, &pageError{http.StatusServiceUnavailable, t.NotReady})
			return
		}
		var d documentsData
		for _, doc := range v.Documents() {
			title, _ := names(doc.Title, doc.ID)
			row := documentRow{ID: doc.ID, Title: title, Href: documentPath(doc.ID), Size: t.size(doc.Bytes), Chunks: doc.Chunks}
			if doc.Pages > 0 {
				row.Pages, d.Pages = strconv.Itoa(doc.Pages), true
			}
			if doc.SameAs != "" {
				row.SameAs = fmt.Sprintf(t.SameAsF, doc.SameAs)
			}
			d.Documents = append(d.Documents, row)
		}
		d.Skipped = v.Skipped()
		s.render(w, r, http.StatusOK, "documents", s.page(r, t.DocumentsTitle, "documents", d))
	})
}

// viewerData is the viewer's own data.
type viewerData struct {
	ID, Title, About string
	Whole            string // the viewer's path without a span
	Doc              template.HTML
	Span             *spanData
}

type spanData struct {
	About, Href string
}

// handleViewer shows a document's whole text as the index holds it (the
// extracted text for PDF, DOCX and HTML), with line numbers and page
// breaks, and ?start=&end= highlighted in one <mark id="hl">. The id is
// only ever a key into the index's documents: no part of the request
// reaches the file system.
func handleViewer(s *site, lib corpus.Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := language(r)
		v, ok := lib.View()
		if !ok {
			s.fail(w, r, &pageError{http.StatusServiceUnavailable, t.NotReady})
			return
		}
		id := r.PathValue("id")
		doc, ok := v.DocumentText(id)
		if !ok {
			s.fail(w, r, &pageError{http.StatusNotFound, fmt.Sprintf(t.NoDocumentF, id)})
			return
		}
		sp, highlight, valid := parseSpan(r.URL.Query(), doc.Text)
		if !valid {
			s.fail(w, r, &pageError{http.StatusBadRequest, t.BadSpan})
			return
		}
		lines := document.NewLineIndex(doc.Text)
		title, _ := names(doc.Title, id)
		n := lines.Lines()
		if len(doc.Text) > 0 && doc.Text[len(doc.Text)-1] == '\n' {
			n-- // the empty line after the last line break is not shown
		}
		d := viewerData{ID: id, Title: title, Whole: documentPath(id), About: fmt.Sprintf(t.ViewerBytesF, t.size(len(doc.Text)), n),
			Doc: docHTML(doc.Text, doc.PageStarts(), sp, highlight, func(p int) string { return fmt.Sprintf(t.PageBreakF, p) })}
		if highlight {
			last := max(sp.start, sp.end-1)
			where := fmt.Sprintf(t.ViewerLinesF, lines.Line(sp.start), lines.Line(last))
			if pg := doc.Page(sp.start); pg > 0 {
				where = fmt.Sprintf(t.PageF, pg) + ", " + where
			}
			d.Span = &spanData{About: fmt.Sprintf(t.ViewerSpanF, sp.start, sp.end, where), Href: spanHref(id, sp.start, sp.end)}
		}
		s.render(w, r, http.StatusOK, "viewer", s.page(r, title, "documents", d))
	})
}
