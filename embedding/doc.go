// Package embedding turns text into vectors with an external model: any
// OpenAI-compatible /v1/embeddings endpoint (OpenAI, Ollama, vLLM,
// llama.cpp, LocalAI), used instead of the embedded word vectors when
// citebot is given --embed-url and --embed-model.
//
// Texts are sent in batches; a batch answered with 429 or a 5xx status, or
// lost to a network error, is retried with exponential backoff and jitter,
// honouring Retry-After. Vectors come back in input order, checked (one
// per input, one dimension for all, finite numbers) and scaled to unit
// length, as the vector store expects.
package embedding
