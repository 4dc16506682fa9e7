# syntax=docker/dockerfile:1
# Build: a static binary (no cgo), with the embedded word vectors inside.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/citebot ./cmd/citebot \
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
ENV CITEBOT_DOCS=/app/seeds CITEBOT_INDEX=/app/data/index CITEBOT_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/app/citebot"]
CMD ["serve"]
