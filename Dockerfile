# cardflow worker, starter and web console, built in one stage and shipped
# in a small, non-root image with the default policy (the worker is the
# entrypoint; the console service sets /usr/local/bin/console).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/starter ./starter \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/console ./console

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/starter /out/console /usr/local/bin/
COPY config/policy.yaml /etc/cardflow/policy.yaml
ENV CARDS_POLICY=/etc/cardflow/policy.yaml \
    CARDS_LOG_FORMAT=json \
    CARDS_METRICS_ADDRESS=:9464
EXPOSE 9464
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/worker"]
