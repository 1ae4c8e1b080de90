# cardflow worker, starter, web console and print station, built in one
# stage and shipped in a small, non-root image with the default policy (the
# worker is the entrypoint; the console and station services set
# /usr/local/bin/console and /usr/local/bin/station).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/starter ./starter \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/console ./console \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/station ./station
# Where the station writes its cards and the worker its PIN letters. The
# directories exist in the image, owned by its user, so that an empty named
# volume mounted there starts with that owner (the image has no shell to
# chown one later). PIN letters hold PINs: for the image's user only.
RUN mkdir -p /out/state/stations /out/state/pin-letters \
 && chmod 0750 /out/state/stations && chmod 0700 /out/state/pin-letters

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/worker /out/starter /out/console /out/station /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/state /var/lib/cardflow
COPY config/policy.yaml /etc/cardflow/policy.yaml
ENV CARDS_POLICY=/etc/cardflow/policy.yaml \
    CARDS_LOG_FORMAT=json \
    CARDS_METRICS_ADDRESS=:9464
EXPOSE 9464
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/worker"]
