# syntax=docker/dockerfile:1
# Build: a static binary (no cgo), with the embedded word vectors inside.
FROM golang:1.26-bookworm AS build
WORKDIR /src
# The modules come first, so that a change to the sources does not
# download them again. go.mod replaces the PDF library with the copy in
# third_party/, which go mod download reads: it must be here by then.
# (.ci/run builds these steps from a git archive in this order, so a file
# copied too late fails CI: .ci/dockerfile-check.sh.)
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY . .
# The context has no .git (.dockerignore) for the toolchain to read the
# revision from; `citebot version` shows the one given here:
# docker build --build-arg CITEBOT_REVISION=$(git rev-parse HEAD) .
ARG CITEBOT_REVISION=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.buildRevision=${CITEBOT_REVISION}" -o /out/citebot ./cmd/citebot \
 && mkdir -p /out/data && cp -r seeds /out/seeds

# Run: nothing but the binary, the seed corpus and a writable index folder,
# as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/citebot /app/citebot
COPY --from=build /out/seeds /app/seeds
COPY --from=build --chown=nonroot:nonroot /out/data /app/data
USER nonroot:nonroot
# Inside a container the API must listen beyond loopback to be reachable.
# Another address goes in CITEBOT_ADDR, not a flag, so that the health
# check asks the same one.
ENV CITEBOT_DOCS=/app/seeds CITEBOT_INDEX=/app/data/index CITEBOT_ADDR=0.0.0.0:8080
# The index outlives the container (a named volume starts as this empty,
# writable folder), so a restart does not index everything again.
VOLUME /app/data
EXPOSE 8080
# distroless has no curl: the binary asks its own /readyz (on loopback).
# The first index of a large folder takes a while (20,000 files: about
# 40 s), which the start period allows for.
HEALTHCHECK --interval=30s --timeout=10s --start-period=2m --retries=3 CMD ["/app/citebot", "health"]
ENTRYPOINT ["/app/citebot"]
CMD ["serve"]
